"""Helpers the unit and browser tests share."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone


def public_paths(locale: str) -> list[str]:
    """Every public page in one locale: the pages a resident can reach."""
    from haven.services.pages import SLUGS

    forms = ["support-services", "support-services?district=WS1&open=1", "ask-for-help", "ask-for-help/form", "ask-for-help/sent", "tell-us-about-someone",
             "tell-us-about-someone/sent"]
    return [f"/{locale}/"] + [f"/{locale}/{slug}" for slug in SLUGS] + [f"/{locale}/{step}" for step in forms]

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"


def production_environ(**changes) -> dict[str, str]:
    """Every setting production requires, valid; `changes` replace or (as None) remove some."""
    from haven.security.crypto import new_key_entry

    environ = {"HAVEN_ENV": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://x/y",
               "HAVEN_DATA_KEYS": new_key_entry("k1"), "HAVEN_STAFF_INBOX_EMAIL": "team@example.org",
               "HAVEN_MATCH_KEY": "m" * 40}
    environ.update(changes)
    return {key: value for key, value in environ.items() if value is not None}


def intake(app) -> dict:
    """The keyword arguments referrals.submit takes from the app, as the public form passes them."""
    return {"targets": app.extensions["haven_profile"].targets, "match_key": app.config["MATCH_KEY"].encode()}


def load_listings(app) -> None:
    """The seeded listings in the database, as `flask content load` puts them there."""
    from haven import db
    from haven.i18n import LOCALES
    from haven.services import listing_store
    from haven.services.areas import load_areas

    with app.app_context():
        listing_store.load_seeds(db.session(), app.config["CONTENT_DIR"],
                                 areas=load_areas(app.config["CONTENT_DIR"]), locales=LOCALES)
        db.session().commit()


def raw_database(database_url: str) -> bytes:
    """Every byte the database keeps: the SQLite file and its write-ahead log, or a pg_dump."""
    import subprocess

    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        files = [str(p) for p in (path, Path(f"{path}-wal")) if p.exists()]
        # Read by another process: closing a file descriptor of the database in this one would
        # drop every POSIX lock SQLite holds on it here (the live server's connections), and the
        # next process to close the database would then reset its WAL under them.
        return subprocess.run(["cat", *files], capture_output=True, check=True).stdout
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    raw = subprocess.run(["pg_dump", "--data-only", url], capture_output=True, check=True).stdout
    assert b"referral" in raw
    return raw


# --- staff accounts ------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def code_at(secret: str, moment: datetime) -> str:
    import pyotp

    return pyotp.TOTP(secret).at(moment)


def make_account(app, email="worker@example.org", roles=("caseworker",)):
    """Create and fully set up an account; returns (email, totp secret, recovery codes)."""
    from haven import db
    from haven.services import staff

    with app.app_context():
        session = db.session()
        user, _ = staff.create_account(session, email, list(roles), actor="test", link_hours=72)
        keyring = app.extensions["haven_keyring"]
        secret = staff.begin_enrolment(session, keyring, user)
        # Set up two minutes ago, so the code used for set-up is not the one a test signs in with.
        moment = staff.utcnow() - timedelta(minutes=2)
        codes = staff.complete_setup(session, keyring, user, PASSWORD, code_at(secret, moment), now=moment)
    return email, secret, codes


def csrf(client, path):
    import re

    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, email, secret, now, password=PASSWORD, code=None):
    response = client.post("/staff/sign-in", data={"csrf_token": csrf(client, "/staff/sign-in"),
                                                   "email": email, "password": password})
    if response.status_code != 303:
        return response
    return client.post("/staff/sign-in/code", data={"csrf_token": csrf(client, "/staff/sign-in/code"),
                                                    "code": code or code_at(secret, now)})




# --- referrals for the staff pages ---------------------------------------------------------------

NAME, PHONE, WORDS = "Samira Canarywood", "+447700900982", "canary words nobody else wrote"


def send_referral(app, *, at=T0, kind="self", locale="en", details=None, phone=PHONE, email=None, anonymous=False,
                  contact=None, message=WORDS) -> str:
    """A referral as the public form would commit it, received at `at`; returns its reference."""
    import secrets

    from haven import db
    from haven.services import referrals

    details = dict(details or {})
    if kind == "concern":
        details.setdefault("anonymous", anonymous)
    contact = contact or {"methods": ["call"], "phone": phone, "email": email, "voicemail": "no"}
    with app.app_context():
        submission = referrals.Submission(kind=kind, locale=locale, token=secrets.token_hex(16), name=NAME,
                                          contact=contact, details=details, message=message)
        referral = referrals.submit(db.session(), app.extensions["haven_keyring"], submission,
                                    **intake(app), now=at).referral
        return referral.reference


def deliver_notices(app):
    """One pass of the notice worker (`flask --app haven worker --once`): the request that saves a
    referral only leaves its staff notice in the outbox."""
    from haven import db
    from haven.services import notify

    with app.app_context():
        return notify.send_pending(db.session(), app.config)


def set_state(app, reference, **values):
    """Put a referral in a state directly (for tests of lists, not of the actions that get there)."""
    from sqlalchemy import update

    from haven import db
    from haven.models import Referral

    with app.app_context():
        db.session().execute(update(Referral).where(Referral.reference == reference).values(**values))
        db.session().commit()


def staff_id(app, email) -> int:
    from sqlalchemy import select

    from haven import db
    from haven.models import StaffUser

    with app.app_context():
        return db.session().scalar(select(StaffUser.id).where(StaffUser.email == email))


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Violations are all a test asserts on: asked for its passes and inapplicable rules as well, axe
# lists every node each rule checked, which makes each run on a long page several times slower.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}


@functools.cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # reads axe-core's script from disk: once


def axe_results(page):
    """axe-core's findings on the page once loaded (WCAG 2.2 AA rules)."""
    # A click that submits a form returns before the new page's stylesheets have loaded; axe on a
    # page without its CSS measures unstyled targets (a flake on a busy machine).
    page.wait_for_load_state("load")
    return _axe().run(page, options=AXE_OPTIONS)


def assert_accessible(page):
    """In a browser test: axe-core finds nothing, at the desktop width and on a 320 px phone, with no sideways scroll."""
    wide = page.viewport_size
    for width in (wide["width"], 320):
        page.set_viewport_size({"width": width, "height": wide["height"]})
        results = axe_results(page)
        assert results.violations_count == 0, f"at {width} px: " + results.generate_report()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
            f"{page.url} scrolls sideways at {width} px"
    page.set_viewport_size(wide)


# --- a referral's page ---------------------------------------------------------------------------

def html(response):
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def token(page) -> str:
    return page.select_one('input[name$="csrf_token"]')["value"]


def post(client, reference, action, /, **fields):
    """Send one action's form from a referral's page, as the page would (its prefix, its token)."""
    page = html(client.get(f"/staff/referrals/{reference}"))
    prefix = {"contact-details": "reveal", "notes": "note", "bar/lift": "lift-bar"}.get(action, action)
    data = {f"{prefix}-csrf_token": token(page), **{f"{prefix}-{name}": value for name, value in fields.items()}}
    return client.post(f"/staff/referrals/{reference}/{action}", data=data)


def audit_actions(app, reference) -> list[tuple[str, str, str | None]]:
    """(actor, action, detail) of every audit event about one referral, oldest first."""
    from sqlalchemy import select

    from haven import db
    from haven.models import AuditEvent

    with app.app_context():
        return [(event.actor, event.action, event.detail) for event in db.session().scalars(
            select(AuditEvent).where(AuditEvent.record_id == reference).order_by(AuditEvent.id))]


def risk_answers(yes: int) -> dict:
    """Answers to the shipped risk checklist: "yes" to the first `yes` questions, "not known" after."""
    from haven.services import risk

    checklist = risk.load(CONTENT_DIR)
    return {question.id: ("yes" if number < yes else "not_known") for number, question in enumerate(checklist.questions)}


def commitments_of(*names: str):
    """The commitments of one shipped profile, or of several at once (to test features that only
    different organisations' policies make, on one case)."""
    from dataclasses import replace

    from haven.services import commitments

    loaded = [commitments.load(CONTENT_DIR / "profiles" / f"{name}.yaml") for name in names]
    made = {commitment.key: commitment for profile in loaded for commitment in profile.made}
    return replace(loaded[0], made=tuple(made.values()))


def use_profile(app, *names: str) -> None:
    """Run the app as if its organisation's policy were these profiles' (content/profiles/)."""
    from dataclasses import replace

    app.extensions["haven_profile"] = replace(app.extensions["haven_profile"], commitments=commitments_of(*names))


WHG, WM = "whg-2022", "wm-housing-group-2010"


def confirmed_content(destination: Path) -> Path:
    """A copy of content/ as an organisation would have it at launch: every placeholder supplied,
    the response targets and areas confirmed, every published seed confirmed and checked today."""
    import re
    import shutil
    from datetime import date

    content = Path(__file__).resolve().parent.parent / "content"
    shutil.copytree(content, destination)
    supplied = {"phone": "0121 496 0000", "email": "da-team@example.org", "opening_hours": "Mon-Fri 09:00-17:00",
                "areas": "Walsall"}
    site = (destination / "site.yaml").read_text(encoding="utf-8")
    site = re.sub(r'phone: "\[TO SUPPLY[^"]*"', f'phone: "{supplied["phone"]}"', site)
    site = re.sub(r'email: "\[TO SUPPLY[^"]*"', f'email: "{supplied["email"]}"', site)
    site = re.sub(r'opening_hours: "\[TO SUPPLY[^"]*"', f'opening_hours: "{supplied["opening_hours"]}"', site)
    site = re.sub(r'- "\[TO SUPPLY[^"]*"', f'- "{supplied["areas"]}"', site)
    (destination / "site.yaml").write_text(site.replace("confirmed: false", "confirmed: true"), encoding="utf-8")
    areas = destination / "areas.yaml"
    areas.write_text(areas.read_text(encoding="utf-8").replace("to_verify: true", "to_verify: false"), encoding="utf-8")
    for page in (destination / "pages").glob("*/*.md"):
        page.write_text(re.sub(r"\[TO SUPPLY:[^\]]*\]", "as the organisation supplied",
                               page.read_text(encoding="utf-8")), encoding="utf-8")
    for seed in (destination / "services").glob("*.yaml"):
        text = re.sub(r"(?m)^to_verify: .*$", "to_verify: []", seed.read_text(encoding="utf-8"))
        seed.write_text(text.replace("last_verified: null", f"last_verified: {date.today().isoformat()}"),
                        encoding="utf-8")
    return destination


# The resident's forms, for the tests that follow what a person types (test_referrals: database,
# notice; test_logs: every log line).
CANARY = "canary-7f3a9c Zebedee Quartermaine"
FORM = "/en/ask-for-help/form"
MORE = "/en/ask-for-help/more"
CONCERN = "/en/tell-us-about-someone"


def open_form(client, path=FORM) -> dict:
    html = client.get(path).get_data(as_text=True)
    fields = {}
    for name in ("csrf_token", "token"):
        fields[name] = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)
    return fields


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def send_more(client, html: str, **answers):
    """Send the optional page shown in html, with these answers; returns the response."""
    fields = {"more_token": hidden(html, "more_token"),
              "step": hidden(html, "step")}
    return client.post(MORE, data={**fields, **answers})


# Every field a person types into, on both forms and every optional page: the canary in each
# free-text field, and in the local part of the email; the phone number is personal too.
CANARY_EMAIL = "zebedee.quartermaine.7f3a9c@example.org"
SELF_FIRST_PAGE = {"preferred": "home", "address": CANARY, "someone_else": CANARY, "voicemail": "yes",
                   "phone": "07700 900 982", "email": CANARY_EMAIL, "consent": "y"}
SELF_MORE = [{"danger_now": "yes", "abuse_kinds": ["physical"]},
             {"help_wanted": ["other"], "help_other": CANARY, "message": CANARY},
             {"name": CANARY, "also_ok": ["call", "email"], "safe_times": CANARY, "language": CANARY,
              "access_other": CANARY},
             # The equality page has nothing to type: its answers are all choices.
             {"gender": "prefer_not", "ethnic_group": "other"}]
CONCERN_ANSWERS = {"who": CANARY, "where": CANARY, "worry": CANARY, "danger_now": "yes", "contact_back": "yes",
                   "reporter_name": CANARY, "method": "email", "email": CANARY_EMAIL, "phone": "07700 900 982"}
PERSONAL = [CANARY, "7f3a9c", "7700900982", "7700 900 982"]
