"""The forms in real Chromium, by keyboard only, with and without JavaScript, in English and Arabic."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from haven import create_app, db
from haven.models import Referral
from haven.services import referrals
from tests.helpers import axe_results, deliver_notices

pytestmark = pytest.mark.browser
CANARY = "canary-browser-4be1 Philomena"
# "Error:" at the start of the title, as each catalog says it (written here by hand).
ERROR_PREFIX = {"en": "Error:", "ar": "خطأ:"}


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element is focused: proves it is reachable by keyboard."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def choose(page, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Space")


def choose_radio(page, name: str, index: int) -> None:
    """Radios are one Tab stop per group; the arrow keys move through the group and select."""
    tab_to(page, f"input[name={name}]")
    if index == 0:
        page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"#{name}-{index}")).to_be_checked()


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


@pytest.fixture(scope="module")
def app_for_checks(test_config):
    return create_app(dict(test_config))


def referral_count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(Referral.id)))


def newest(app):
    with app.app_context():
        referral = db.session().scalars(select(Referral).order_by(Referral.id.desc()).limit(1)).one()
        return referral, referrals.read(app.extensions["haven_keyring"], referral)


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_self_referral_by_keyboard_only(page, live_server, app_for_checks, locale):
    before = referral_count(app_for_checks)
    page.goto(f"{live_server}/{locale}/help-for-myself")
    tab_to(page, "a.button[href$='/ask-for-help']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{locale}/ask-for-help")
    tab_to(page, "a.button[href$='/ask-for-help/form']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{locale}/ask-for-help/form")

    # Send it empty first: the error summary takes focus and links to the first problem.
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.title().startswith(ERROR_PREFIX[locale])
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#preferred-0")).to_be_focused()

    page.keyboard.press("Space")  # first choice: phone call, which reveals the phone number
    type_into(page, "#phone", "07700 900 982")
    type_into(page, "#someone_else", CANARY)
    choose(page, "#consent")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".panel-confirmation h1")).to_be_visible()
    assert CANARY not in page.content()
    # Committed on that first Send, before she answers anything more.
    assert referral_count(app_for_checks) == before + 1
    referral, sent = newest(app_for_checks)
    assert sent.contact["someone_else"] == CANARY and sent.contact["phone"] == "+447700900982"
    assert referral.locale == locale

    # The optional pages, by keyboard too: say she is in danger now, then finish.
    choose_radio(page, "danger_now", 0)
    tab_to(page, "form button[type=submit]:not([name])")
    page.keyboard.press("Enter")
    expect(page.locator(".danger-now")).to_be_visible()
    tab_to(page, "button[name=finish]")
    page.keyboard.press("Enter")
    expect(page.locator(".more")).to_have_count(0)
    referral, sent = newest(app_for_checks)
    assert referral_count(app_for_checks) == before + 1
    assert referral.priority == "urgent" and sent.details["danger_now"] == "yes"


def test_concern_without_javascript(no_js_context, live_server, app_for_checks):
    page = no_js_context.new_page()
    before = referral_count(app_for_checks)
    page.goto(f"{live_server}/en/worried-about-someone")
    page.get_by_role("link", name="Tell us about someone you are worried about").click()
    page.get_by_label("What worries you?").fill(CANARY)
    page.get_by_label("Not sure").check()
    page.get_by_label("No, I want to stay anonymous").check()
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".panel-confirmation")).to_be_visible()
    assert referral_count(app_for_checks) == before + 1
    _, sent = newest(app_for_checks)
    assert sent.message == CANARY and sent.details["anonymous"] is True


def test_self_referral_without_javascript_keeps_answers_on_error(no_js_context, live_server, app_for_checks):
    page = no_js_context.new_page()
    page.goto(f"{live_server}/ar/ask-for-help/form")
    page.locator("#someone_else").fill(CANARY)
    page.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#someone_else")).to_have_value(CANARY)


def test_a_double_click_on_send_makes_one_referral(page, live_server, app_for_checks):
    before = referral_count(app_for_checks)
    page.goto(f"{live_server}/en/ask-for-help/form")
    page.locator("#preferred-4").check()  # face to face at an office
    page.locator("#consent").check()
    page.locator("button[type=submit]").dblclick()
    expect(page.locator(".panel-confirmation")).to_be_visible()
    # The page she is left on can still add to the referral.
    page.locator("#danger_now-1").check()
    page.locator(".more button[type=submit]:not([name])").click()
    expect(page.get_by_text("Your extra answers have been saved too")).to_be_visible()
    page.go_back()
    page.wait_for_load_state()
    assert referral_count(app_for_checks) == before + 1


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [1280, 320])
def test_the_form_with_errors_is_accessible(open_context, live_server, locale, width):
    page = open_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{live_server}/{locale}/ask-for-help/form")
    page.locator("button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    results = axe_results(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_concern_by_keyboard_only(page, live_server, app_for_checks, locale):
    before = referral_count(app_for_checks)
    page.goto(f"{live_server}/{locale}/worried-about-someone")
    tab_to(page, "a.button[href$='/tell-us-about-someone']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{locale}/tell-us-about-someone")
    type_into(page, "#worry", CANARY)
    choose_radio(page, "danger_now", 1)
    choose_radio(page, "contact_back", 0)
    choose_radio(page, "method", 1)  # a text message
    type_into(page, "#phone", "0121 496 0000")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".panel-confirmation")).to_be_visible()
    assert referral_count(app_for_checks) == before + 1
    referral, sent = newest(app_for_checks)
    assert referral.kind == "concern" and referral.priority == "standard"
    assert sent.contact == {"methods": ["text"], "phone": "+441214960000", "email": None}


def test_self_referral_sent_without_javascript(no_js_context, live_server, app_for_checks):
    page = no_js_context.new_page()
    before = referral_count(app_for_checks)
    page.goto(f"{live_server}/en/ask-for-help/form")
    page.locator("#preferred-2").check()  # email
    page.locator("#email").fill("safe.address@example.org")
    page.locator("#consent").check()
    page.locator("button[type=submit]").click()
    expect(page.locator(".panel-confirmation")).to_be_visible()
    page.locator("#children_at_risk-0").check()
    page.locator(".more button[type=submit]:not([name])").click()
    expect(page.get_by_text("Your extra answers have been saved too")).to_be_visible()
    assert referral_count(app_for_checks) == before + 1
    referral, sent = newest(app_for_checks)
    assert referral.priority == "urgent" and sent.contact["email"] == "safe.address@example.org"


def test_the_staff_notice_reaches_the_mail_sink_without_personal_data(page, live_server, live_app, smtp_sink,
                                                                      monkeypatch):
    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp_sink.port)
    # The live server is shared by the session: earlier tests' notices may still wait in its outbox.
    deliver_notices(live_app)
    smtp_sink.messages.clear()
    page.goto(f"{live_server}/en/ask-for-help/form")
    page.locator("#preferred-4").check()
    page.locator("#someone_else").fill(CANARY)
    page.locator("#consent").check()
    page.locator("button[type=submit]").click()
    expect(page.locator(".panel-confirmation")).to_be_visible()
    assert smtp_sink.messages == []  # the "sent" page never waits on the mail server: the worker sends
    deliver_notices(live_app)
    page.locator("#danger_now-0").check()
    page.locator(".more button[type=submit]:not([name])").click()
    page.locator("#message").fill(CANARY)
    page.locator(".more button[type=submit]:not([name])").click()
    page.locator("#name").fill(CANARY)
    page.locator(".more button[type=submit]:not([name])").click()
    page.locator("#gender-4").check()  # the equality questions, last: "I prefer not to say"
    page.locator(".more button[type=submit]:not([name])").click()
    expect(page.locator(".more")).to_have_count(0)
    deliver_notices(live_app)
    # One notice for the new referral, one when it became urgent; neither says a word of hers.
    assert len(smtp_sink.messages) == 2
    assert "Priority: standard" in smtp_sink.messages[0] and "Priority: urgent" in smtp_sink.messages[1]
    assert all(CANARY not in message for message in smtp_sink.messages)


def test_a_failed_save_shows_503_keeps_the_answers_and_the_helplines(page, live_server, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(referrals, "submit", broken)
    page.goto(f"{live_server}/ar/ask-for-help/form")
    page.locator("#preferred-4").check()
    page.locator("#someone_else").fill(CANARY)
    page.locator("#consent").check()
    with page.expect_response("**/ar/ask-for-help/form") as sent:
        page.locator("button[type=submit]").click()
    assert sent.value.status == 503
    expect(page.locator(".failure")).to_be_visible()
    expect(page.locator("#someone_else")).to_have_value(CANARY)
    expect(page.locator("#consent")).to_be_checked()
    expect(page.locator(".failure a[href='tel:08082000247']")).to_be_visible()


def test_the_canary_from_every_field_stays_out_of_the_live_servers_log_and_database(page, live_server, caplog,
                                                                                     database_url):
    """Typed by a person in real Chromium into every field of both forms: afterwards the live
    server's log (every request line, at INFO) and its database hold none of it in the clear."""
    import logging

    from tests.helpers import raw_database

    caplog.set_level(logging.INFO)
    page.goto(f"{live_server}/en/ask-for-help/form")
    page.get_by_label("Face to face at home").check()
    page.locator("#address").fill(CANARY)
    page.locator("#someone_else").fill(CANARY)
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    expect(page.locator(".panel-confirmation")).to_be_visible()
    more = page.locator(".more button[type=submit]:not([name])")
    page.locator("#danger_now-0").check()
    more.click()
    page.locator("#help_other").fill(CANARY)
    page.locator("#message").fill(CANARY)
    more.click()
    for field in ("#name", "#safe_times", "#language", "#access_other"):
        page.locator(field).fill(CANARY)
    more.click()
    page.locator("#ethnic_group-4").check()  # the equality page has nothing to type into
    more.click()
    expect(page.locator(".more")).to_have_count(0)
    page.goto(f"{live_server}/en/tell-us-about-someone")
    for field in ("#who", "#where", "#worry"):
        page.locator(field).fill(CANARY)
    page.locator("#danger_now-1").check()
    page.locator("#contact_back-0").check()
    page.locator("#reporter_name").fill(CANARY)
    page.locator("#method-0").check()
    page.locator("#phone").fill("07700 900 982")
    page.locator("form button[type=submit]").click()
    expect(page.locator(".panel-confirmation")).to_be_visible()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "POST /en/ask-for-help/more" in logged  # the log was captured, so its silence means something
    raw = raw_database(database_url)
    for value in (CANARY, "Philomena", "7700900982", "7700 900 982"):
        assert value not in logged and value.encode() not in raw
