"""Exit, then Back: the browser must give none of her answers back, with or without JavaScript.

Chromium restores the state of form controls (ticked boxes, typed text) when a page comes back
from history, even a page sent with no-store; each test fills every control a person can reach,
leaves by the Exit button, presses Back and looks at everything on screen.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser
CANARY = "canary-back-7d2e Philippa"

# The forms, and the page each starts from; values that make the first page valid when sent.
FORMS = {
    "self": "/en/ask-for-help/form",
    "concern": "/en/tell-us-about-someone",
}
VALID_VALUES = {"phone": "07700 900 982", "email": "safe@example.org"}


def fill_everything(page) -> int:
    """Fill every visible control: text with the canary (or a valid value), the first radio of
    each group, every checkbox. Returns how many controls were filled."""
    return page.evaluate(
        """([canary, valid]) => {
            let filled = 0;
            const groups = new Set();
            for (const el of document.querySelectorAll('form input, form textarea')) {
                if (el.type === 'hidden' || el.offsetParent === null) continue;
                if (el.type === 'radio') {
                    if (groups.has(el.name)) continue;
                    groups.add(el.name); el.click(); filled++;
                } else if (el.type === 'checkbox') {
                    if (!el.checked) el.click();
                    filled++;
                } else {
                    el.focus();
                    el.value = valid[el.name] || canary;
                    el.dispatchEvent(new Event('input', {bubbles: true}));
                    el.dispatchEvent(new Event('change', {bubbles: true}));
                    filled++;
                }
            }
            return filled;
        }""",
        [CANARY, VALID_VALUES],
    )


def what_is_left(page) -> list[str]:
    """Every control on screen that still holds an answer."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('input, textarea, select'))
              .filter(el => el.type !== 'hidden' && el.type !== 'submit')
              .filter(el => (el.type === 'radio' || el.type === 'checkbox') ? el.checked : el.value !== '')
              .map(el => el.name + '=' + (el.value || ''))"""
    )


def exit_then_back(page, neutral_site) -> None:
    page.locator(".exit-button").click()
    page.wait_for_url(neutral_site.url)
    try:
        page.go_back()
        page.wait_for_load_state()
    except PlaywrightError:
        # Chromium may refuse to show a page that was the answer to a POST without sending it
        # again ("confirm form resubmission"): nothing of hers is on screen then either.
        pass


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("sent", [False, True], ids=["not-sent", "sent"])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_exit_then_back_shows_no_answer(open_context, live_server, neutral_site, form, sent, javascript):
    context = open_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/en/")
    page.goto(f"{live_server}{FORMS[form]}")
    assert fill_everything(page) >= 5
    if sent:
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 0, "the filled form should have been accepted"
    exit_then_back(page, neutral_site)
    assert what_is_left(page) == []
    assert CANARY not in page.content()
    assert "safe@example.org" not in page.content() and "900 982" not in page.content()
