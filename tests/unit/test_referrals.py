"""The self-referral and concern forms, from the person's side and the database's."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from haven import db
from haven.models import Referral
from haven.security.crypto import Keyring, new_key_entry
from haven.services import referrals
from tests.helpers import (CANARY, CANARY_EMAIL, CONCERN, CONCERN_ANSWERS, FORM, MORE, PERSONAL, SELF_FIRST_PAGE,
                           SELF_MORE, deliver_notices, hidden, open_form, raw_database, send_more)



def good_answers(**changes) -> dict:
    """The first page: all that is needed to reach her safely."""
    return {"preferred": "call", "phone": "07700 900 982", "voicemail": "no",
            "someone_else": CANARY, "consent": "y", **changes}


def double_click(client, answers: dict) -> tuple[str, str]:
    """Send the same page twice, as a double click does: both requests leave the browser with the
    cookie it had before either answer came back. Returns both answers' pages."""
    cookie = client.get_cookie("haven_session").value
    first = client.post(FORM, data=answers).get_data(as_text=True)
    client.set_cookie("haven_session", cookie)
    second = client.post(FORM, data=answers).get_data(as_text=True)
    return first, second


def sent_page(client, **changes) -> str:
    response = client.post(FORM, data={**open_form(client), **good_answers(**changes)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(Referral.id)))


def only_referral(app) -> Referral:
    with app.app_context():
        return db.session().scalars(select(Referral)).one()


def test_a_valid_referral_is_committed_encrypted_then_confirmed(app, client):
    response = client.post(FORM, data={**open_form(client), **good_answers()})
    # Answered directly (no redirect): the confirmation carries the next page's one-time token.
    assert response.status_code == 200 and "Location" not in response.headers
    referral = only_referral(app)
    assert referral.priority == "standard" and referral.kind == "self" and referral.locale == "en"
    assert CANARY not in referral.contact_enc and "07700" not in referral.contact_enc
    sent = referrals.read(app.extensions["haven_keyring"], referral)
    assert sent.contact["someone_else"] == CANARY
    assert sent.contact["phone"] == "+447700900982"  # stored normalised
    confirmation = response.get_data(as_text=True)
    assert "Your message has been sent" in confirmation
    assert CANARY not in confirmation and "07700" not in confirmation
    assert 'href="tel:08082000247"' in confirmation
    assert "Cover your tracks now" in confirmation and "call log" in confirmation


def test_priority_is_urgent_for_children_at_risk_and_standard_otherwise():
    assert referrals.priority({"children_at_risk": "yes"}) == "urgent"
    assert referrals.priority({"danger_now": "no", "children_at_risk": "not_sure"}) == "standard"
    assert referrals.priority({}) == "standard"


def test_sending_twice_makes_one_referral(app, client):
    first, second = double_click(client, {**open_form(client), **good_answers()})
    assert count(app) == 1 and "Your message has been sent" in second
    # The browser shows the second answer: its token is the one that works.
    assert send_more(client, second, danger_now="no").status_code == 200
    assert "can no longer add" in send_more(client, first, danger_now="yes").get_data(as_text=True)


def test_a_reference_drawn_twice_is_drawn_again(app, client, monkeypatch):
    # Two references in 24 million collide rarely, but staff say them aloud: each names one referral.
    draws = iter(["HV-22222", "HV-22222", "HV-33333"])
    monkeypatch.setattr(referrals, "random_reference", lambda: next(draws))
    sent_page(client)
    sent_page(client, phone="07700 900 983")
    with app.app_context():
        assert sorted(db.session().scalars(select(Referral.reference))) == ["HV-22222", "HV-33333"]


def test_missing_answers_show_an_error_summary_and_keep_what_was_typed(app, client):
    response = client.post(FORM, data={**open_form(client), "someone_else": "code word: bluebell"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error:" in html
    assert 'href="#preferred-0">Choose how we should contact you first' in html
    assert 'href="#consent">Tick the box' in html
    assert 'value="code word: bluebell"' in html
    assert count(app) == 0


@pytest.mark.parametrize("answers, field, message", [
    (good_answers(phone=""), "phone", "Enter a safe phone number"),
    (good_answers(phone="12345"), "phone", "Enter a UK phone number"),
    (good_answers(phone="+1 202 555 0100"), "phone", "Enter a UK phone number"),
    (good_answers(preferred="email", phone=""), "email", "Enter a safe email address"),
    (good_answers(preferred="email", email="not an email"), "email", "Enter an email address"),
    (good_answers(preferred="home"), "address", "Enter your address"),
    (good_answers(someone_else="x" * 201), "someone_else", "200 characters"),
    (good_answers(preferred="carrier pigeon"), "preferred", "Choose one of the options given"),
])
def test_bad_answers_are_refused_with_a_clear_message_and_nothing_saved(app, client, answers, field, message):
    response = client.post(FORM, data={**open_form(client), **answers})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html or f'href="#{field}-0">' in html
    assert message in html
    assert count(app) == 0


def test_errors_are_translated(client):
    html = client.post("/ar/ask-for-help/form", data=open_form(client, "/ar/ask-for-help/form")).get_data(as_text=True)
    assert "Choose how we should contact you first" not in html
    assert 'class="error-summary"' in html


def test_an_expired_or_missing_csrf_token_keeps_the_answers(app, client):
    fields = {**open_form(client), "csrf_token": "forged"}
    response = client.post(FORM, data={**fields, **good_answers()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your answers are still here" in html
    assert f'value="{CANARY}"' in html
    assert count(app) == 0


def test_a_failed_save_says_so_keeps_the_answers_and_gives_the_helplines(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(referrals, "submit", broken)
    response = client.post(FORM, data={**open_form(client), **good_answers()})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Your message has not been sent" in html
    assert CANARY in html  # their own words, back in the box
    assert 'href="tel:08082000247"' in html and 'href="tel:999"' in html
    assert "Traceback" not in html and "OperationalError" not in html


def test_the_hidden_trap_field_makes_scripts_believe_they_succeeded(app, client):
    response = client.post(FORM, data={**open_form(client), **good_answers(website="http://spam")})
    assert response.status_code == 303 and count(app) == 0
    # The address it is sent to, opened directly, claims nothing was sent.
    assert "has been sent" not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_form_sent_faster_than_a_person_can_type_is_shown_again(app, client):
    app.config["MIN_FILL_SECONDS"] = 3
    response = client.post(FORM, data={**open_form(client), **good_answers()})
    assert response.status_code == 200
    assert "check your answers, then send the form again" in response.get_data(as_text=True)
    assert count(app) == 0


def test_flooding_gets_a_translated_429_with_the_helplines(app, client):
    app.config["REFERRAL_LIMITS"] = "2 per minute"
    for _ in range(2):
        assert client.post("/pl/ask-for-help/form", data={"website": "x"}).status_code == 303
    response = client.post("/pl/ask-for-help/form", data={"website": "x"})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert 'lang="pl"' in html and 'href="tel:08082000247"' in html
    assert client.get("/pl/ask-for-help/form").status_code == 200  # reading is never limited


def test_a_concern_can_be_anonymous(app, client):
    fields = open_form(client, CONCERN)
    response = client.post(CONCERN, data={**fields, "worry": CANARY, "danger_now": "yes", "contact_back": "no",
                                          "reporter_name": "Typed then changed mind", "method": "call",
                                          "phone": "07700 900 982"})
    assert response.status_code == 200
    main = response.get_data(as_text=True).split("<main", 1)[1]
    # Someone is in danger now: the confirmation opens by saying to call 999.
    assert main.index("we do not read messages at once") < main.index("Your message has been sent")
    referral = only_referral(app)
    assert referral.kind == "concern" and referral.priority == "urgent" and referral.name_enc is None
    sent = referrals.read(app.extensions["haven_keyring"], referral)
    assert sent.contact["phone"] is None and sent.details["anonymous"] is True
    assert sent.message == CANARY


def test_a_concern_with_contact_needs_a_way_to_reach_the_reporter(app, client):
    response = client.post(CONCERN, data={**open_form(client, CONCERN), "worry": "x", "danger_now": "no",
                                          "contact_back": "yes"})
    assert "Choose how we should contact you" in response.get_data(as_text=True)
    assert count(app) == 0


def test_the_form_never_puts_answers_in_a_url_and_marks_sensitive_fields(client):
    html = client.get(FORM).get_data(as_text=True)
    assert 'method="post"' in html
    for field in ("phone", "email", "someone_else", "address"):
        assert re.search(rf'id="{field}"[^>]*autocomplete="off"|autocomplete="off"[^>]*id="{field}"', html), field


def test_the_canary_never_reaches_the_database_file_the_logs_or_the_notice(app, client, caplog, database_url,
                                                                           smtp_sink):
    import logging

    caplog.set_level(logging.INFO)
    app.config["SMTP_PORT"] = smtp_sink.port
    html = client.post(FORM, data={**open_form(client), **SELF_FIRST_PAGE}).get_data(as_text=True)
    for answers in SELF_MORE:
        html = send_more(client, html, **answers).get_data(as_text=True)
    client.post(CONCERN, data={**open_form(client, CONCERN), **CONCERN_ANSWERS})
    assert count(app) == 2
    deliver_notices(app)
    keyring = app.extensions["haven_keyring"]
    with app.app_context():
        sent = [referrals.read(keyring, r) for r in db.session().scalars(select(Referral).order_by(Referral.id))]
    # They were kept (so the search below is not empty-handed) ...
    assert sent[0].name == CANARY and sent[0].details["access_other"] == CANARY
    assert sent[1].details["where"] == CANARY and sent[1].contact["email"] == CANARY_EMAIL
    # ... and are nowhere in the clear.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    raw = raw_database(database_url)
    for value in PERSONAL:
        assert value not in logged
        assert all(value not in message for message in smtp_sink.messages)
        assert value.encode() not in raw
    assert len(smtp_sink.messages) >= 2


def test_keys_rotate_re_encrypts_under_the_newest_key(app, client, runner):
    client.post(FORM, data={**open_form(client), **good_answers()})
    old_entry = app.config["DATA_KEYS"]
    app.extensions["haven_keyring"] = Keyring.parse(f"{new_key_entry('next')},{old_entry}")
    result = runner.invoke(args=["keys", "rotate"])
    assert "1 referrals re-encrypted under next" in result.output
    referral = only_referral(app)
    assert all(Keyring.key_id_of(getattr(referral, c)) == "next" for c in ("contact_enc", "details_enc"))
    assert referrals.read(app.extensions["haven_keyring"], referral).contact["someone_else"] == CANARY
    assert "0 referrals" in runner.invoke(args=["keys", "rotate"]).output


def test_each_new_referral_sends_one_notice_with_no_personal_data(app, client, smtp_sink):
    app.config["SMTP_PORT"] = smtp_sink.port
    _, html = double_click(client, {**open_form(client), **good_answers()})  # no second notice
    assert smtp_sink.messages == []  # the request leaves the notice to the worker
    assert deliver_notices(app).sent == 1
    assert len(smtp_sink.messages) == 1
    # The subject shows on lock screens: it never says how urgent; the body does.
    assert "Subject: Haven: a new referral" in smtp_sink.messages[0] and "Priority: standard" in smtp_sink.messages[0]
    send_more(client, html, danger_now="yes", abuse_kinds=["physical"])
    # Now urgent: the team is told again, and this time it says so.
    deliver_notices(app)
    assert len(smtp_sink.messages) == 2
    notice = smtp_sink.messages[1]
    assert "Subject: Haven: a new referral" in notice and "Priority: urgent" in notice
    assert "made this referral urgent" in notice
    assert f"/staff/referrals/{only_referral(app).reference}" in notice
    assert CANARY not in notice and "07700" not in notice and "+44" not in notice
    assert only_referral(app).notice_sent_at is not None
    assert deliver_notices(app).sent == 0 and len(smtp_sink.messages) == 2  # nothing goes twice


def test_a_failing_mail_server_never_loses_the_referral_and_the_notice_is_retried(app, client, runner, smtp_sink):
    from haven.models import NoticeOutbox

    def outbox():
        with app.app_context():
            return db.session().scalars(select(NoticeOutbox)).one()

    app.config["SMTP_PORT"] = 1  # nothing listens there
    response = client.post(FORM, data={**open_form(client), **good_answers()})
    assert response.status_code == 200
    referral = only_referral(app)
    assert referral.notice_sent_at is None and referral.notice_attempts == 0
    assert (outbox().kind, outbox().sent_at, outbox().attempts) == ("new", None, 0)
    result = runner.invoke(args=["referrals", "send-notices"])
    assert result.exit_code == 1 and "0 sent, 1 failed, 1 waiting" in result.output
    assert (outbox().attempts, outbox().last_error) == (1, "ConnectionRefusedError")
    assert only_referral(app).notice_error == "ConnectionRefusedError"
    app.config["SMTP_PORT"] = smtp_sink.port
    result = runner.invoke(args=["referrals", "send-notices"])
    assert result.exit_code == 0 and "1 sent, 0 failed, 0 waiting" in result.output
    assert len(smtp_sink.messages) == 1 and only_referral(app).notice_attempts == 2
    assert outbox().sent_at is not None and outbox().last_error is None


def test_consent_names_the_organisation(client):
    html = client.get(FORM).get_data(as_text=True)
    assert "I agree to whg contacting me in the ways I chose" in html


def test_an_empty_form_sent_at_once_shows_what_is_needed(app, client):
    app.config["MIN_FILL_SECONDS"] = 3
    html = client.post(FORM, data=open_form(client)).get_data(as_text=True)
    assert "Choose how we should contact you first" in html
    assert "send the form again" not in html


# ---- the optional "tell us more" pages -------------------------------------------------------

def test_each_optional_page_adds_to_the_same_referral_and_is_committed_at_once(app, client):
    html = sent_page(client)
    assert 'name="more_token"' in html and "Page 1 of 4" in html
    html = send_more(client, html, danger_now="yes", children_in_home="yes", abuse_kinds=["physical", "coercive"])
    assert html.status_code == 200
    html = html.get_data(as_text=True)
    # Committed already: read back before she goes any further.
    keyring = app.extensions["haven_keyring"]
    referral = only_referral(app)
    assert referral.priority == "urgent"
    assert referrals.read(keyring, referral).details["abuse_kinds"] == ["physical", "coercive"]
    main = html.split("<main", 1)[1]
    assert main.index("we do not read messages at once") < main.index("Your message has been sent")
    assert "Your extra answers have been saved too" in html and "Page 2 of 4" in html
    html = send_more(client, html, help_wanted=["safer_home"], message=CANARY).get_data(as_text=True)
    assert CANARY not in html
    html = send_more(client, html, name="Sam", also_ok=["text"], language="Polish", interpreter="yes").get_data(as_text=True)
    assert "Page 4 of 4: Equality questions" in html and "kept apart from your message" in html
    html = send_more(client, html, gender="woman").get_data(as_text=True)
    assert 'name="more_token"' not in html  # the last page: nothing more to add to
    sent = referrals.read(keyring, only_referral(app))
    assert count(app) == 1
    assert sent.name == "Sam" and sent.message == CANARY
    assert sent.contact["methods"] == ["call", "text"] and sent.contact["someone_else"] == CANARY
    assert sent.details["help_wanted"] == ["safer_home"] and sent.details["language"] == "Polish"
    assert sent.details["children_in_home"] == "yes"
    assert only_referral(app).continue_hash is None


def test_pages_rendered_once_still_give_each_person_her_own_tokens(app):
    """The form and the "sent" page are rendered once and kept (public/kept_forms.py): each person
    must still get tokens of her own, and each must work."""
    people = [app.test_client() for _ in range(3)]
    opened = [open_form(person) for person in people]
    for name in ("csrf_token", "token"):
        assert len({fields[name] for fields in opened}) == 3
    # Sent in the other order: a kept page must not carry the last person's tokens to the next.
    pages = [person.post(FORM, data={**fields, **good_answers(phone=f"07700 900 98{n}")}).get_data(as_text=True)
             for n, (person, fields) in reversed(list(enumerate(zip(people, opened))))]
    assert all("Your message has been sent" in page and "Page 1 of 4" in page for page in pages)
    assert len({hidden(page, "more_token") for page in pages}) == 3
    assert count(app) == 3
    for person, page in zip(people, pages):
        following = send_more(person, page, danger_now="no").get_data(as_text=True)
        assert "Your extra answers have been saved too" in following and "Page 2 of 4" in following
    # Kept per language: the English page kept first is not what an Arabic reader is given.
    assert 'dir="rtl"' in people[0].get("/ar/ask-for-help/form").get_data(as_text=True)
    assert 'dir="ltr"' in people[0].get(FORM).get_data(as_text=True)


def test_a_page_kept_ready_is_the_page_rendered_afresh_but_for_its_tokens(app):
    """What public/kept_forms.py keeps must be exactly what the templates render for this person:
    compared with the same pages rendered in full (debug mode renders every time)."""
    tokens = re.compile(r'(name="(?:csrf_token|token|more_token)" type="hidden" value=")[^"]*"')

    def pages():
        person = app.test_client()
        form = person.get("/ar/ask-for-help/form").get_data(as_text=True)
        fields = {name: hidden(form, name) for name in ("csrf_token", "token")}
        sent = person.post("/ar/ask-for-help/form", data={**fields, **good_answers()}).get_data(as_text=True)
        following = send_more(person, sent, danger_now="yes").get_data(as_text=True)
        return [tokens.sub(r'\1"', page) for page in (form, sent, following)]

    pages()  # kept now
    kept = pages()
    app.debug = True
    try:
        afresh = pages()
    finally:
        app.debug = False
    assert kept == afresh
    assert "Page 2 of 4" in kept[2] and 'dir="rtl"' in kept[0]


def test_the_token_works_once_and_nowhere_but_the_page(app, client):
    response = client.post(FORM, data={**open_form(client), **good_answers()})
    html = response.get_data(as_text=True)
    token = hidden(html, "more_token")
    assert token not in response.headers.get("Set-Cookie", "") and token not in response.headers.get("Location", "")
    assert token not in only_referral(app).continue_hash  # only a hash is kept
    assert send_more(client, html, danger_now="no").status_code == 200
    replay = send_more(client, html, danger_now="yes", message=CANARY)
    assert "can no longer add" in replay.get_data(as_text=True)
    assert only_referral(app).priority == "standard"


def equality_page(client, **first_page) -> str:
    """Her way to the last optional page, past the others with nothing added."""
    html = sent_page(client, **first_page)
    for _ in range(3):
        html = send_more(client, html).get_data(as_text=True)
    assert "Equality questions" in html
    return html


def equality_rows(app) -> list[tuple]:
    from haven.models import EqualityResponse

    with app.app_context():
        return [(r.received_on, r.gender, r.age_band, r.disability, r.ethnic_group, r.sexual_orientation)
                for r in db.session().scalars(select(EqualityResponse))]


def test_equality_answers_are_stored_apart_from_the_referral_and_never_shown_to_staff(app, client, manager):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from haven.models import EqualityResponse

    html = equality_page(client)
    # Every question offers "I prefer not to say", and each is marked optional.
    page = BeautifulSoup(html, "html.parser")
    legends = [legend.get_text(strip=True) for legend in page.select("form legend")]
    assert len(legends) == 5 and all(legend.endswith("(optional)") for legend in legends)
    for fieldset in page.select("form fieldset"):
        assert "I prefer not to say" in [label.get_text(strip=True) for label in fieldset.select("label")]
    response = send_more(client, html, gender="man", age_band="25_34", disability="prefer_not", ethnic_group="black")
    assert response.status_code == 200 and 'name="more_token"' not in response.get_data(as_text=True)
    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Europe/London")).date()
    assert equality_rows(app) == [(today, "man", "25_34", "prefer_not", "black", None)]
    # Apart: no column of one names the other, and her referral holds none of the answers.
    assert {column.name for column in EqualityResponse.__table__.columns} == {
        "id", "received_on", "gender", "age_band", "disability", "ethnic_group", "sexual_orientation"}
    assert not any("equality" in column.name for column in Referral.__table__.columns)
    referral = only_referral(app)
    sent = referrals.read(app.extensions["haven_keyring"], referral)
    assert not {"gender", "age_band", "disability", "ethnic_group", "sexual_orientation"} & set(sent.details)
    staff_page = manager.get(f"/staff/referrals/{referral.reference}").get_data(as_text=True)
    assert referral.reference in staff_page
    for words in ("Equality", "ethnic", "Black, Black British", "25 to 34", "gender"):
        assert words not in staff_page


def test_an_equality_page_sent_empty_or_finished_stores_nothing(app, client):
    html = equality_page(client)
    response = send_more(client, html)
    assert response.status_code == 200 and 'name="more_token"' not in response.get_data(as_text=True)
    html = equality_page(client)
    send_more(client, html, gender="woman", finish="1")
    assert equality_rows(app) == []


def test_an_unknown_equality_answer_is_a_clear_error_and_changes_nothing(app, client):
    html = equality_page(client)
    response = send_more(client, html, gender="robot", age_band="18_24")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose one of the options given" in page and 'href="#gender-0"' in page
    assert equality_rows(app) == []
    # The page she is shown still works.
    send_more(client, page, gender="woman")
    assert [row[1:3] for row in equality_rows(app)] == [("woman", None)]


def test_the_token_expires_after_an_hour(app, client, monkeypatch):
    from datetime import datetime, timedelta, timezone

    html = sent_page(client)
    later = datetime.now(timezone.utc) + timedelta(minutes=61)
    monkeypatch.setattr(referrals, "_now", lambda: later)
    assert "can no longer add" in send_more(client, html, danger_now="yes").get_data(as_text=True)
    assert only_referral(app).priority == "standard"


@pytest.mark.parametrize("token", ["", "x" * 500, "forged-token"])
def test_a_forged_or_missing_token_changes_nothing(app, client, token):
    sent_page(client)
    response = client.post(MORE, data={"more_token": token, "step": "situation", "danger_now": "yes"})
    assert response.status_code == 200 and "can no longer add" in response.get_data(as_text=True)
    assert only_referral(app).priority == "standard"


def test_an_unknown_step_is_a_clear_400(client):
    html = sent_page(client)
    response = client.post(MORE, data={"more_token": hidden(html, "more_token"), "step": "../../etc"})
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)


def test_finish_stops_the_token(app, client):
    html = sent_page(client)
    done = send_more(client, html, finish="1").get_data(as_text=True)
    assert "Your message has been sent" in done and 'name="more_token"' not in done
    assert only_referral(app).continue_hash is None
    assert "can no longer add" in send_more(client, html, danger_now="yes").get_data(as_text=True)


def test_another_way_needs_its_number_or_address(app, client):
    html = sent_page(client)
    html = send_more(client, html).get_data(as_text=True)
    html = send_more(client, html).get_data(as_text=True)
    response = send_more(client, html, also_ok=["email"], name="Sam")
    assert response.status_code == 400
    assert "choose only ways you have told us about" in response.get_data(as_text=True)
    sent = referrals.read(app.extensions["haven_keyring"], only_referral(app))
    assert sent.contact["methods"] == ["call"] and sent.name is None
    # The same page, answered again, still works: the token was not used up.
    assert send_more(client, html, also_ok=["text"]).status_code == 200


def test_a_failed_save_of_an_optional_page_keeps_its_answers(app, client, monkeypatch):
    html = sent_page(client)
    html = send_more(client, html).get_data(as_text=True)

    def broken(*args, **kwargs):
        raise OperationalError("UPDATE", {}, Exception("disk I/O error"))

    monkeypatch.setattr(referrals, "add_more", broken)
    response = send_more(client, html, message=CANARY)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "These answers have not been saved" in page and CANARY in page
    assert 'href="tel:08082000247"' in page and "Traceback" not in page
    monkeypatch.undo()
    assert send_more(client, html, message=CANARY).status_code == 200  # the token still works
    assert referrals.read(app.extensions["haven_keyring"], only_referral(app)).message == CANARY


@pytest.mark.parametrize("path", ["/en/ask-for-help/sent", "/ar/tell-us-about-someone/sent"])
def test_the_sent_address_opened_directly_claims_nothing(client, path):
    html = client.get(path).get_data(as_text=True)
    assert "has been sent" not in html and "panel-confirmation" not in html
    assert 'class="button"' in html  # a way to the form instead


def test_no_cookie_outlives_a_sent_form(app, client):
    """The session cookie holds the first page's CSRF token while the form is open; the answer
    that says "sent" clears it, and the optional pages set none."""
    assert client.get(FORM).headers.get("Set-Cookie", "").startswith("haven_session=")
    response = client.post(FORM, data={**open_form(client), **good_answers()})
    cleared = response.headers.get("Set-Cookie", "")
    assert cleared.startswith("haven_session=;") and "Expires=Thu, 01 Jan 1970" in cleared
    assert client.get_cookie("haven_session") is None
    following = send_more(client, response.get_data(as_text=True), danger_now="no")
    assert following.status_code == 200 and client.get_cookie("haven_session") is None
    concern = client.post(CONCERN, data={**open_form(client, CONCERN), "worry": "x", "danger_now": "no",
                                         "contact_back": "no"})
    assert concern.status_code == 200 and client.get_cookie("haven_session") is None


# ---- rate limits: per client, behind a proxy, only for what was accepted ------------------------

@pytest.fixture
def proxied(test_config):
    """Haven behind one reverse proxy that sets X-Forwarded-For, as the README prescribes."""
    from haven import create_app

    app = create_app({**test_config, "TRUSTED_PROXIES": 1, "REFERRAL_LIMITS": "2 per minute"})
    yield app
    from tests.conftest import _empty_tables
    _empty_tables(app)


def post_from(client, address: str, **answers):
    return client.post(FORM, data={**open_form(client), **good_answers(**answers)},
                       headers={"X-Forwarded-For": address})


def test_behind_a_proxy_two_clients_have_their_own_limits(proxied):
    client = proxied.test_client()
    for _ in range(2):
        assert post_from(client, "203.0.113.7").status_code == 200
    assert post_from(client, "203.0.113.7").status_code == 429
    # Someone else, behind the same proxy, can still ask for help.
    assert post_from(client, "198.51.100.23").status_code == 200


def test_a_person_shown_errors_many_times_can_still_send(proxied):
    client = proxied.test_client()
    for _ in range(5):
        response = post_from(client, "203.0.113.8", consent="")
        assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True)
    assert "Your message has been sent" in post_from(client, "203.0.113.8").get_data(as_text=True)


def test_over_the_limit_her_answers_and_the_helplines_are_still_there(proxied):
    client = proxied.test_client()
    for _ in range(2):
        post_from(client, "203.0.113.9")
    response = post_from(client, "203.0.113.9", someone_else=CANARY)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Your message has not been sent" in html and f'value="{CANARY}"' in html
    assert 'href="tel:08082000247"' in html and 'href="tel:999"' in html


@pytest.mark.parametrize("one, other, same", [
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:9", True),  # one /64: one household or phone
    ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
    ("203.0.113.1", "203.0.113.2", False),
    ("::ffff:203.0.113.1", "203.0.113.1", True),
])
def test_ipv6_clients_are_counted_by_their_64(app, one, other, same):
    from haven.extensions import client_key

    keys = []
    for address in (one, other):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            keys.append(client_key())
    assert (keys[0] == keys[1]) is same


# ---- the form's stamp: one signed value over the one-time token and the time -------------------

@pytest.mark.parametrize("forged", ["", "0123456789abcdef0123456789abcdef", "WyJhYmMiLDE3MDAwMDAwMDBd.forged"])
def test_a_stamp_the_server_never_issued_is_refused_and_her_answers_kept(app, client, forged):
    response = client.post(FORM, data={**open_form(client), "token": forged, **good_answers()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and count(app) == 0
    assert "Your answers are still here" in html and f'value="{CANARY}"' in html
    # The form comes back with a stamp that works.
    resend = {**open_form(client), **good_answers()}
    resend["token"] = re.search(r'name="token" type="hidden" value="([^"]*)"', html).group(1)
    assert "Your message has been sent" in client.post(FORM, data=resend).get_data(as_text=True)
    assert count(app) == 1


def test_a_stamp_older_than_a_day_is_refused(app, client, monkeypatch):
    import time as clock

    from haven.services import intake

    fields = open_form(client)
    later = clock.time() + intake.MAX_AGE_SECONDS + 60
    monkeypatch.setattr(intake.time, "time", lambda: later)
    html = client.post(FORM, data={**fields, **good_answers()}).get_data(as_text=True)
    assert "Your answers are still here" in html and count(app) == 0


def test_one_stamp_makes_one_referral_however_often_it_is_sent(app, client):
    fields = open_form(client)
    for _ in range(3):
        client.post(FORM, data={**fields, **good_answers()})
        client.set_cookie("haven_session", "")  # as a script would, with no cookie at all
        fields = {**fields, "csrf_token": open_form(client)["csrf_token"]}
    assert count(app) == 1


def test_the_stamp_is_bound_to_its_time():
    from haven.services import intake

    stamp = intake.read("k" * 40, intake.issue("k" * 40, now=1_000_000), now=1_000_010)
    assert stamp.started == 1_000_000 and intake.filled_too_fast(stamp, 30, now=1_000_010)
    assert not intake.filled_too_fast(stamp, 3, now=1_000_010)
    assert intake.read("other-key" * 5, intake.issue("k" * 40)) is None
    assert intake.read("k" * 40, intake.issue("k" * 40, now=1_000_000 + 3600), now=1_000_000) is None  # from the future


# Every way each form's answers can be refused: too long, or not one of the options. Written by
# hand from the forms' fields, so a validator added without a translated message shows up here.
LONG = "x" * 5001
REFUSALS = {
    "/ask-for-help/form": {"preferred": "fax", "phone": "0" * 41, "email": "a" * 250 + "@b.org",
                           "address": LONG[:301], "voicemail": "maybe", "someone_else": LONG[:201]},
    "/ask-for-help/more?situation": {"step": "situation", "danger_now": "maybe", "lives_with": "maybe",
                                     "children_in_home": "maybe", "children_at_risk": "maybe",
                                     "abuse_kinds": "shouting"},
    "/ask-for-help/more?help": {"step": "help", "help_wanted": "money", "help_other": LONG[:301],
                                "message": LONG},
    "/ask-for-help/more?about": {"step": "about", "name": LONG[:101], "tenant": "maybe", "also_ok": "fax",
                                 "safe_times": LONG[:201], "language": LONG[:61], "interpreter": "maybe",
                                 "access_needs": "braille", "access_other": LONG[:301]},
    "/tell-us-about-someone": {"who": LONG[:201], "where": LONG[:301], "worry": LONG, "danger_now": "maybe",
                               "contact_back": "maybe", "reporter_name": LONG[:101], "method": "fax"},
}


def refusal_messages(client, locale: str, path: str) -> list[str]:
    address, _, _ = path.partition("?")
    data = dict(REFUSALS[path])
    if address != "/ask-for-help/more":
        data.update(open_form(client, f"/{locale}{address}"))
    else:
        data["more_token"] = "not-a-token"
    html = client.post(f"/{locale}{address}", data=data).get_data(as_text=True)
    summary = BeautifulSoup(html, "html.parser").select_one(".error-summary")
    assert summary is not None, (locale, path)
    return [item.get_text(strip=True) for item in summary.select("li")]


@pytest.mark.parametrize("locale", ["pl", "ro", "pa", "ur", "ar"])
@pytest.mark.parametrize("path", REFUSALS)
def test_every_refusal_is_in_the_readers_language(client, locale, path):
    english = set(refusal_messages(client, "en", path))
    translated = refusal_messages(client, locale, path)
    assert len(translated) >= len(REFUSALS[path]) - 1  # every field refused (step is not an answer)
    assert not english & set(translated), f"English in the {locale} error summary: {english & set(translated)}"
