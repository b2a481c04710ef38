"""The self-referral and concern forms, from the person's side and the database's."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from haven import db
from haven.models import Referral
from haven.security.crypto import Keyring, new_key_entry
from haven.services import referrals

CANARY = "canary-7f3a9c Zebedee Quartermaine"
FORM = "/en/ask-for-help/form"
CONCERN = "/en/tell-us-about-someone"


def open_form(client, path=FORM) -> dict:
    html = client.get(path).get_data(as_text=True)
    fields = {}
    for name in ("csrf_token", "token", "started"):
        fields[name] = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)
    return fields


def good_answers(**changes) -> dict:
    return {"preferred": "call", "phone": "07700 900 982", "voicemail": "no",
            "someone_else": "Say you are from the surgery", "danger_now": "no",
            "message": CANARY, "consent": "y", **changes}


def count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(Referral.id)))


def only_referral(app) -> Referral:
    with app.app_context():
        return db.session().scalars(select(Referral)).one()


def test_a_valid_referral_is_committed_encrypted_then_confirmed(app, client):
    response = client.post(FORM, data={**open_form(client), **good_answers(danger_now="yes")})
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/ask-for-help/sent"
    referral = only_referral(app)
    assert referral.priority == "urgent" and referral.kind == "self" and referral.locale == "en"
    assert CANARY not in referral.message_enc and "07700" not in referral.contact_enc
    sent = referrals.read(app.extensions["haven_keyring"], referral)
    assert sent.message == CANARY
    assert sent.contact["phone"] == "+447700900982"  # stored normalised
    confirmation = client.get("/en/ask-for-help/sent").get_data(as_text=True)
    assert CANARY not in confirmation and "07700" not in confirmation
    assert 'href="tel:08082000247"' in confirmation


def test_priority_is_urgent_for_children_at_risk_and_standard_otherwise():
    assert referrals.priority({"children_at_risk": "yes"}) == "urgent"
    assert referrals.priority({"danger_now": "no", "children_at_risk": "not_sure"}) == "standard"
    assert referrals.priority({}) == "standard"


def test_sending_twice_makes_one_referral(app, client):
    answers = {**open_form(client), **good_answers()}
    assert client.post(FORM, data=answers).status_code == 303
    assert client.post(FORM, data=answers).status_code == 303
    assert count(app) == 1


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
    (good_answers(message="x" * 5001), "message", "5000 characters"),
    (good_answers(preferred="carrier pigeon"), "preferred", "Not a valid choice"),
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
    assert 'value="Say you are from the surgery"' in html
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
                                          "phone": "07700 900 982"})
    assert response.status_code == 303
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
    for field in ("name", "phone", "email", "someone_else", "address", "message"):
        assert re.search(rf'id="{field}"[^>]*autocomplete="off"|autocomplete="off"[^>]*id="{field}"', html), field


def test_the_canary_never_reaches_the_database_file_the_logs_or_the_notice(app, client, caplog, database_url,
                                                                           smtp_sink):
    app.config["SMTP_PORT"] = smtp_sink.port
    client.post(FORM, data={**open_form(client), **good_answers(name=CANARY, address=CANARY)})
    assert count(app) == 1
    assert CANARY not in "\n".join(record.getMessage() for record in caplog.records)
    assert smtp_sink.messages and all(CANARY not in message for message in smtp_sink.messages)
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        # Recent writes may still sit in the write-ahead log beside the file: read both.
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    else:
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        raw = subprocess.run(["pg_dump", "--data-only", url], capture_output=True, check=True).stdout
        assert b"referral" in raw
    assert CANARY.encode() not in raw


def test_keys_rotate_re_encrypts_under_the_newest_key(app, client, runner):
    client.post(FORM, data={**open_form(client), **good_answers()})
    old_entry = app.config["DATA_KEYS"]
    app.extensions["haven_keyring"] = Keyring.parse(f"{new_key_entry('next')},{old_entry}")
    result = runner.invoke(args=["keys", "rotate"])
    assert "1 referrals re-encrypted under next" in result.output
    referral = only_referral(app)
    assert all(Keyring.key_id_of(getattr(referral, c)) == "next" for c in ("contact_enc", "details_enc"))
    assert referrals.read(app.extensions["haven_keyring"], referral).message == CANARY
    assert "0 referrals" in runner.invoke(args=["keys", "rotate"]).output


def test_each_new_referral_sends_one_notice_with_no_personal_data(app, client, smtp_sink):
    app.config["SMTP_PORT"] = smtp_sink.port
    answers = {**open_form(client), **good_answers(danger_now="yes", name=CANARY)}
    client.post(FORM, data=answers)
    client.post(FORM, data=answers)  # the resend makes no second notice
    assert len(smtp_sink.messages) == 1
    notice = smtp_sink.messages[0]
    assert "Subject: Haven: new urgent referral" in notice
    assert "/staff/inbox" in notice
    assert CANARY not in notice and "07700" not in notice and "+44" not in notice
    assert only_referral(app).notice_sent_at is not None


def test_a_failing_mail_server_never_loses_the_referral_and_the_notice_is_retried(app, client, runner, smtp_sink):
    app.config["SMTP_PORT"] = 1  # nothing listens there
    response = client.post(FORM, data={**open_form(client), **good_answers()})
    assert response.status_code == 303
    referral = only_referral(app)
    assert referral.notice_sent_at is None and referral.notice_attempts == 1
    assert referral.notice_error == "ConnectionRefusedError"
    result = runner.invoke(args=["referrals", "send-notices"])
    assert result.exit_code == 1 and "1 still failing" in result.output
    app.config["SMTP_PORT"] = smtp_sink.port
    result = runner.invoke(args=["referrals", "send-notices"])
    assert result.exit_code == 0 and "1 sent" in result.output
    assert len(smtp_sink.messages) == 1 and only_referral(app).notice_attempts == 3


def test_consent_names_the_organisation(client):
    html = client.get(FORM).get_data(as_text=True)
    assert "I agree to whg contacting me in the ways I chose" in html


def test_an_empty_form_sent_at_once_shows_what_is_needed(app, client):
    app.config["MIN_FILL_SECONDS"] = 3
    html = client.post(FORM, data=open_form(client)).get_data(as_text=True)
    assert "Choose how we should contact you first" in html
    assert "send the form again" not in html
