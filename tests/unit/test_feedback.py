"""Feedback after closure (WM 5.1): a caseworker issues a one-time link on a closed referral; the
person answers a short translated form, anonymously; reports count the answers.

The link is shown once, in the answer to the POST that issued it; the database keeps only its
token's hash; no log line, flash message, redirect or session holds it; the comment is encrypted;
and the referral's page never shows what anyone answered. Under a policy that does not make the
commitment (whg's), neither the staff action nor the public pages exist."""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from haven import db
from haven.i18n import LOCALES
from haven.models import Feedback, FeedbackLink, Referral
from haven.services import feedback
from tests.helpers import T0, WHG, WM, audit_actions, html, post, raw_database, send_referral, use_profile

CANARY = "feedback canary words 7q4z"
TRANSLATED = [code for code in LOCALES if code != "en"]
LINK = re.compile(r"^http://127\.0\.0\.1:5000(/(\w\w)/feedback/([\w-]+))$")


@pytest.fixture(autouse=True)
def _wm(app):
    use_profile(app, WM)


def closed_referral(app, worker, locale="en", kind="self") -> str:
    reference = send_referral(app, at=T0 - timedelta(hours=1), locale=locale, kind=kind)
    assert post(worker, reference, "close", outcome="advice", agreed="yes").status_code == 303
    return reference


def issue(worker, reference):
    """Press "Issue a feedback link": (the answer, the public path the link shows, its token)."""
    response = post(worker, reference, "feedback-link")
    assert response.status_code == 200, response.status_code
    shown = html(response).select_one("[data-feedback-link]")
    assert shown is not None
    found = LINK.match(shown.get_text(strip=True))
    assert found, shown.get_text()
    return response, found.group(1), found.group(3)


def answers(app) -> list[Feedback]:
    with app.app_context():
        return list(db.session().scalars(select(Feedback).order_by(Feedback.id)))


def texts(page, selector) -> list[str]:
    return [" ".join(node.get_text(" ", strip=True).split()) for node in page.select(selector)]


# --- issuing the link -----------------------------------------------------------------------------

def test_a_link_is_issued_only_for_a_closed_referral(app, worker):
    reference = send_referral(app, at=T0 - timedelta(hours=1))
    assert "Ask for feedback" not in html(worker.get(f"/staff/referrals/{reference}")).get_text()
    refused = post(worker, reference, "feedback-link")
    assert refused.status_code == 303 and refused.headers["Location"] == f"/staff/referrals/{reference}"
    page = html(worker.get(f"/staff/referrals/{reference}"))
    assert "Close the referral before asking for feedback" in page.select_one(".error-summary").get_text()
    with app.app_context():
        assert db.session().scalar(select(func.count(FeedbackLink.id))) == 0
    assert "referral.feedback_link_issued" not in [action for _, action, _ in audit_actions(app, reference)]


def test_the_link_is_shown_once_in_the_referrals_language_audited_and_on_the_timeline(app, worker):
    reference = closed_referral(app, worker, locale="ur")
    assert "Ask for feedback" in html(worker.get(f"/staff/referrals/{reference}")).get_text()
    response, path, token = issue(worker, reference)
    assert path == f"/ur/feedback/{token}"
    assert "only by the safe way they chose" in html(response).get_text()
    assert "Location" not in response.headers  # the answer itself, not a redirect
    again = worker.get(f"/staff/referrals/{reference}").get_data(as_text=True)
    assert token not in again and "data-feedback-link" not in again
    page = html(worker.get(f"/staff/referrals/{reference}"))
    assert "Feedback link issued" in texts(page, ".timeline li p")
    assert "Feedback link last issued" in page.get_text()
    assert ("worker@example.org", "referral.feedback_link_issued", None) in audit_actions(app, reference)


def test_a_manager_may_issue_one_too(app, manager):
    reference = closed_referral(app, manager)
    issue(manager, reference)


# --- the link works once ----------------------------------------------------------------------------

def test_the_link_works_once_then_says_kindly_that_it_no_longer_works(app, worker, client):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    form = client.get(path)
    assert form.status_code == 200
    assert html(form).h1.get_text(strip=True) == "Tell us how we did"
    sent = client.post(path, data={"satisfaction": "4", "felt_safe": "yes", "comment": CANARY})
    assert sent.status_code == 200
    assert html(sent).h1.get_text(strip=True) == "Thank you for your feedback"
    [answer] = answers(app)
    assert (answer.satisfaction, answer.felt_safe) == (4, "yes")
    for gone in (client.get(path), client.post(path, data={"satisfaction": "1"})):
        assert gone.status_code == 410
        page = html(gone)
        assert page.h1.get_text(strip=True) == "This link no longer works"
        assert page.select_one("section.helpline .helpline-number").get_text(strip=True) == "0808 2000 247"
        assert page.select_one("a.exit-button") is not None
    assert len(answers(app)) == 1  # the second Send recorded nothing


def test_an_unknown_token_is_a_404_with_the_same_kind_page(client):
    for path in ("/en/feedback/not-a-token", "/ar/feedback/" + "x" * 300):
        response = client.get(path)
        assert response.status_code == 404
        assert html(response).h1.get_text(strip=True) in ("This link no longer works", "لم يعد هذا الرابط يعمل")
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_link_expires_after_30_days(app, worker, client, clock):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)  # the staff session idles out after 30 minutes: issue first
    clock.advance(days=30, seconds=-1)
    assert client.get(path).status_code == 200
    clock.advance(seconds=1)
    assert client.get(path).status_code == 410
    assert client.post(path, data={"satisfaction": "5"}).status_code == 410
    assert answers(app) == []


def test_a_second_link_stops_the_first_one_working(app, worker, client):
    reference = closed_referral(app, worker)
    _, first, _ = issue(worker, reference)
    _, second, _ = issue(worker, reference)
    assert first != second
    assert client.get(first).status_code == 410
    assert client.post(first, data={"satisfaction": "5"}).status_code == 410
    assert client.post(second, data={"satisfaction": "5"}).status_code == 200
    assert [answer.satisfaction for answer in answers(app)] == [5]
    assert [action for _, action, _ in audit_actions(app, reference)].count("referral.feedback_link_issued") == 2


# --- where the token is, and is not -----------------------------------------------------------------

def test_the_token_is_kept_only_as_its_hash_and_never_logged_flashed_or_in_the_session(
        app, worker, client, caplog, database_url):
    caplog.set_level(logging.DEBUG)
    reference = closed_referral(app, worker)
    response, path, token = issue(worker, reference)
    assert client.get(path).status_code == 200
    assert client.post(path, data={"satisfaction": "3"}).status_code == 200
    with app.app_context():
        stored = db.session().scalar(select(FeedbackLink.token_hash))
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    raw = raw_database(database_url)
    assert stored.encode() in raw and token.encode() not in raw
    assert all(token not in record.getMessage() for record in caplog.records)
    # Nothing of it in the signed session cookie (flash messages live there) of either browser.
    serializer = app.session_interface.get_signing_serializer(app)
    for browser in (worker, client):
        cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
        if cookie is not None:
            assert token not in repr(serializer.loads(cookie.value))
    assert not any(token in value for value in response.headers.values())


def test_werkzeugs_request_log_shows_the_address_without_its_token(app, worker, caplog):
    """The development server (and the browser tests' live server) log each request's line."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    reference = closed_referral(app, worker)
    _, path, token = issue(worker, reference)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    caplog.set_level(logging.INFO)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}") as answer:
            assert answer.status == 200
    finally:
        server.shutdown()
        thread.join()
    logged = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("/en/feedback/[token]" in line for line in logged), logged
    assert all(token not in line for line in logged)


def test_the_comment_is_encrypted_and_the_scores_are_plain(app, worker, client, database_url):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    client.post(path, data={"satisfaction": "2", "felt_safe": "prefer_not", "comment": f"  {CANARY}  "})
    [answer] = answers(app)
    assert CANARY.encode() not in raw_database(database_url)
    keyring = app.extensions["haven_keyring"]
    assert keyring.decrypt(answer.comment_enc, table="feedback", column="comment_enc", row=answer.public_id) == CANARY
    with app.app_context():
        assert answer.referral_id == db.session().scalar(select(Referral.id).where(Referral.reference == reference))


def test_the_referral_page_never_shows_the_answers(app, worker, client):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    client.post(path, data={"satisfaction": "1", "felt_safe": "no", "comment": CANARY})
    page = worker.get(f"/staff/referrals/{reference}").get_data(as_text=True)
    for shown in (CANARY, "Very unhappy", "satisfaction", "Did you feel safe"):
        assert shown not in page
    assert "Feedback link issued" in page  # only that a link was issued


# --- the public form ----------------------------------------------------------------------------------

def test_the_pages_are_private_uncached_and_have_what_every_public_page_has(app, worker, client):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    responses = [client.get(path), client.post(path, data={"satisfaction": "9"}),
                 client.post(path, data={"felt_safe": "yes"}), client.get(path)]
    assert [response.status_code for response in responses] == [200, 400, 200, 410]
    for response in responses:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert "Set-Cookie" not in response.headers  # no cookie at all, not even a session
        page = html(response)
        # Said in the page too, before anything loads (a meta tag would win over the header).
        assert [tag["content"] for tag in page.select('meta[name="referrer"]')] == ["no-referrer"]
        assert [tag["content"] for tag in page.select('meta[name="robots"]')] == ["noindex, nofollow"]
        assert page.select_one("a.exit-skiplink")["href"] == "/exit"
        assert page.select_one("a.exit-button")["href"] == "/exit"
        assert page.select_one("[data-exit-bar]")["data-destination"]
        assert page.select_one("section.emergency, footer a.phone") is not None
        for form in page.select("form"):
            assert form["autocomplete"] == "off" and form["action"] == path
    assert not any("/feedback/" in key for key in app.extensions.get("haven_page_cache", {}))


@pytest.mark.parametrize("value", ["0", "6", "x", "4.5", ""])
def test_a_bad_satisfaction_gives_a_translated_error_and_records_nothing(app, worker, client, value):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    arabic = path.replace("/en/", "/ar/")
    response = client.post(arabic, data={"satisfaction": value})
    assert response.status_code == 400
    page = html(response)
    expected = "أجب عن سؤال واحد على الأقل، ثم اضغط على «إرسال»" if value == "" else "اختر أحد الخيارات المعروضة"
    assert texts(page, ".error-summary li") == [expected]
    assert page.title.get_text().startswith("خطأ:")
    assert answers(app) == []
    assert client.get(path).status_code == 200  # the link still works


def test_bad_answers_to_the_other_questions_record_nothing(app, worker, client):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    for data in ({"felt_safe": "maybe"}, {"comment": "x" * 2001}, {"comment": "   \n "}, {"satisfaction": ["1", "2"]}):
        assert client.post(path, data=data).status_code in (200, 400), data
    # ["1", "2"]: a radio takes the first; everything else was refused.
    assert [(answer.satisfaction, answer.felt_safe, answer.comment_enc) for answer in answers(app)] == [(1, None, None)]


def test_a_comment_of_2000_characters_is_taken(app, worker, client):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    assert client.post(path, data={"comment": "é" * 2000}).status_code == 200
    [answer] = answers(app)
    assert answer.satisfaction is None and answer.felt_safe is None and answer.comment_enc


def english_words(client, path) -> dict[str, list[str]]:
    get = html(client.get(path))
    refused = html(client.post(path, data={"satisfaction": "x", "comment": "x" * 2001}))
    empty = html(client.post(path, data={}))
    return {
        "legends": texts(get, "legend"), "labels": texts(get, "label.choice-label, label.label"),
        "hints": texts(get, "p.hint"), "paragraphs": texts(get, "main p"), "title": texts(get, "h1"),
        "errors": texts(refused, ".error-summary li") + texts(empty, ".error-summary li"),
        "button": texts(get, "main button"),
    }


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_language_renders_the_form_and_its_errors_translated(app, worker, client, locale):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    english = english_words(client, path)
    assert english["errors"] == ["Choose one of the options given", "Keep this to 2000 characters or fewer",
                                 "Answer at least one question, then press Send"]
    assert english["labels"][:5] == ["Very happy", "Happy", "Neither happy nor unhappy", "Unhappy", "Very unhappy"]
    ours = english_words(client, path.replace("/en/", f"/{locale}/"))
    page = html(client.get(path.replace("/en/", f"/{locale}/")))
    assert page.html["lang"] == locale and page.html["dir"] == LOCALES[locale].direction
    for part, words in english.items():
        assert len(ours[part]) == len(words), (locale, part)
        if part == "paragraphs":
            # The helplines' English service name and the numbers stay as they are.
            words = [text for text in words if not re.search(r"\d{3}", text)]
        for theirs, source in zip(ours[part], words):
            assert theirs != source, f"{locale} {part}: {source!r} left in English"
    # The thank-you and gone pages too, in that language.
    sent = html(client.post(path.replace("/en/", f"/{locale}/"), data={"satisfaction": "5"}))
    assert sent.h1.get_text(strip=True) != "Thank you for your feedback" and sent.html["lang"] == locale
    gone = html(client.get(path.replace("/en/", f"/{locale}/")))
    assert gone.h1.get_text(strip=True) != "This link no longer works" and gone.html["lang"] == locale


# --- without the commitment -------------------------------------------------------------------------

def test_under_whgs_policy_there_is_no_feedback_at_all(app, worker, client):
    reference = closed_referral(app, worker)
    _, path, _ = issue(worker, reference)
    use_profile(app, WHG)
    assert "Ask for feedback" not in html(worker.get(f"/staff/referrals/{reference}")).get_text()
    assert post(worker, reference, "feedback-link").status_code == 404
    assert client.get(path).status_code == 404
    assert client.post(path, data={"satisfaction": "5"}).status_code == 404
    assert client.get("/ar/feedback/not-a-token").status_code == 404
    assert answers(app) == []
    page = html(client.get(path))
    assert page.h1.get_text(strip=True) == "Page not found"  # the site's ordinary 404


# --- the figures for reports ------------------------------------------------------------------------

def test_summary_counts_a_seeded_set_by_hand(app):
    self_ref, concern_ref = send_referral(app), send_referral(app, kind="concern")
    start, end = T0, T0 + timedelta(days=31)
    with app.app_context():
        session = db.session()
        ids = {row.reference: row.id for row in session.execute(select(Referral.reference, Referral.id))}
        seeded = [  # (referral, when, satisfaction, felt safe)
            (self_ref, T0, 5, "yes"),                            # the first instant counts
            (self_ref, T0 + timedelta(days=1), 5, "no"),
            (self_ref, T0 + timedelta(days=2), 4, None),
            (self_ref, T0 + timedelta(days=3), None, "prefer_not"),  # counted as an answer, not a score
            (self_ref, T0 + timedelta(days=4), None, None),      # a comment only
            (concern_ref, T0 + timedelta(days=5), 1, "yes"),
            (concern_ref, T0 + timedelta(days=6), 2, "yes"),
            (self_ref, end, 3, "no"),                            # the end is not inside
            (self_ref, T0 - timedelta(seconds=1), 3, "no"),      # nor before the start
        ]
        for number, (reference, at, satisfaction, felt_safe) in enumerate(seeded):
            session.add(Feedback(public_id=f"00000000-0000-4000-8000-{number:012d}", referral_id=ids[reference],
                                 at=at, satisfaction=satisfaction, felt_safe=felt_safe))
        session.commit()
        everyone = feedback.summary(session, start, end)
        selves = feedback.summary(session, start, end, route="self")
        nobody = feedback.summary(session, end + timedelta(days=1), end + timedelta(days=2))
    assert everyone == {"answers": 7, "satisfaction": {1: 1, 2: 1, 3: 0, 4: 1, 5: 2},
                        "felt_safe": {"yes": 3, "no": 1, "prefer_not": 1},
                        "mean_satisfaction": pytest.approx((5 + 5 + 4 + 1 + 2) / 5)}
    assert selves == {"answers": 5, "satisfaction": {1: 0, 2: 0, 3: 0, 4: 1, 5: 2},
                      "felt_safe": {"yes": 1, "no": 1, "prefer_not": 1},
                      "mean_satisfaction": pytest.approx(14 / 3)}
    assert nobody == {"answers": 0, "satisfaction": {1: 0, 2: 0, 3: 0, 4: 0, 5: 0},
                      "felt_safe": {"yes": 0, "no": 0, "prefer_not": 0}, "mean_satisfaction": None}


def test_the_service_refuses_what_the_form_would(app, worker):
    reference = closed_referral(app, worker)
    issue(worker, reference)
    keyring = app.extensions["haven_keyring"]
    with app.app_context():
        session = db.session()
        link = session.scalar(select(FeedbackLink))
        for bad in ((0, None, None), (6, None, None), (None, "maybe", None), (None, None, "x" * 2001),
                    (None, None, "  ")):
            with pytest.raises(feedback.FeedbackError):
                feedback.answer(session, keyring, link, *bad)
        assert feedback.answer(session, keyring, link, 3, None, None) is not None
        assert feedback.answer(session, keyring, link, 3, None, None) is None  # spent
        referral = session.scalar(select(Referral))
        referral.status = "in_contact"
        with pytest.raises(feedback.cases.CaseError):
            feedback.issue(session, referral, session.get(feedback.StaffUser, worker.staff_id))
