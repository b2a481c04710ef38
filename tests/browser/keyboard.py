"""Working Haven's staff pages by keyboard only (focus, type, a key), as someone without a mouse does."""
from __future__ import annotations

import pyotp

from tests.helpers import PASSWORD


def press(page, selector_or_locator, key="Enter"):
    locator = page.locator(selector_or_locator) if isinstance(selector_or_locator, str) else selector_or_locator
    locator.focus()
    page.keyboard.press(key)


def type_into(page, locator, text):
    locator.focus()
    page.keyboard.type(text)


def sign_in(page, email: str, secret: str):
    """From the sign-in page (reached directly or from a staff link) to wherever it leads."""
    type_into(page, page.get_by_label("Email address"), email)
    type_into(page, page.get_by_label("Password"), PASSWORD)
    press(page, page.get_by_role("button", name="Continue"))
    type_into(page, page.get_by_label("Code from your authenticator app, or a recovery code"), pyotp.TOTP(secret).now())
    press(page, page.get_by_role("button", name="Sign in"))
