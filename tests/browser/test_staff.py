"""A staff member's first day in real Chromium: CLI account, set-up link, TOTP, sign-in, time-out,
sign-out; and axe-core on every staff page."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from haven.services import staff
from tests.helpers import assert_accessible

pytestmark = pytest.mark.browser
PASSWORD = "a long and unusual passphrase"


class Clock:
    """Moves the live server's idea of now (it runs in this process) without waiting."""

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        real = staff.utcnow
        monkeypatch.setattr(staff, "utcnow", lambda: real() + self.offset)

    def now(self):
        return staff.utcnow()


def cli_create(test_config, live_server, email, *roles):
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"], "SECRET_KEY": test_config["SECRET_KEY"],
           "HAVEN_INSTANCE_PATH": test_config["INSTANCE_PATH"], "HAVEN_PUBLIC_URL": live_server}
    role_args = [arg for role in roles for arg in ("--role", role)]
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "haven", "staff", "create", "--email", email,
                             *role_args], env=env, capture_output=True, text=True, check=True, timeout=60)
    return re.search(r"(http://\S+/staff/setup/\S+)", result.stdout).group(1)


def test_first_day_set_up_sign_in_time_out_sign_out(page, context, live_server, test_config, monkeypatch):
    clock = Clock(monkeypatch)
    link = cli_create(test_config, live_server, "first.day@example.org", "admin", "caseworker")

    page.goto(link)
    assert_accessible(page)
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("[data-totp-secret]").inner_text()
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Finish set-up").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert_accessible(page)

    clock.offset += timedelta(seconds=31)  # the next code: each is accepted once
    page.get_by_role("link", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Sign in")  # axe runs on the new page, not mid-navigation
    assert_accessible(page)
    page.get_by_label("Email address").fill("first.day@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Code from your authenticator app, or a recovery code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Staff home")
    assert_accessible(page)
    cookie = [c for c in context.cookies() if c["name"] == "haven_staff"][0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] == -1

    for name in ("Referral inbox", "Accounts", "Audit log"):
        page.goto(f"{live_server}/staff/")
        page.get_by_role("link", name=name).click()
        expect(page.locator("h1")).to_have_text(name)
        assert_accessible(page)
    page.goto(f"{live_server}/staff/inbox?view=overdue&received_from=not-a-date")
    expect(page.locator(".error-summary")).to_contain_text("Enter 'received from' as a date")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.goto(f"{live_server}/staff/accounts")
    page.get_by_role("link", name="first.day@example.org").click()
    assert_accessible(page)
    page.goto(f"{live_server}/staff/accounts/new")
    assert_accessible(page)

    # Self-service pages, and their error summaries.
    page.goto(f"{live_server}/staff/")
    page.get_by_role("link", name="Your account").click()
    expect(page.locator("h1")).to_have_text("Your account")
    assert_accessible(page)
    for link, heading, button in [("Change your password", "Change your password", "Change password"),
                                  ("Change your authenticator app", "Change your authenticator app",
                                   "Change authenticator app"),
                                  ("Make new recovery codes", "Make new recovery codes", "Make new codes")]:
        page.goto(f"{live_server}/staff/account")
        page.get_by_role("link", name=link).click()
        expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)
        page.get_by_role("button", name=button).click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert page.title().startswith("Error: ")
        assert_accessible(page)
    page.goto(f"{live_server}/staff/account/recovery-codes")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Make new codes").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert_accessible(page)

    clock.offset += timedelta(minutes=31)  # away from the desk
    page.goto(f"{live_server}/staff/")
    expect(page.locator("h1")).to_have_text("Sign in")

    clock.offset += timedelta(seconds=31)
    page.get_by_label("Email address").fill("first.day@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Staff home")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    assert not [c for c in context.cookies() if c["name"] == "haven_staff"]
    page.goto(f"{live_server}/staff/")
    expect(page.locator("h1")).to_have_text("Sign in")
