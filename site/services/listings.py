"""A support service listing as one plain document: what it holds, and the rules it must meet.

The same rules run for a seed in content/services/, an editor's form and `content check`, so a
listing cannot reach the public directory by one door that another would have refused. Messages are
translatable because editors read them in the editor.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import phonenumbers
from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from . import hours as opening_hours
from .content import is_placeholder

STATES = ("draft", "published", "retired")
NATIONAL = "national"
DEFAULT_VERIFY_DAYS = 180

CATEGORIES = {
    "helpline": _l("Helplines"),
    "refuge": _l("Refuges and safe accommodation"),
    "idva": _l("IDVAs and advocacy"),
    "police": _l("Police"),
    "housing": _l("Council housing options"),
    "legal": _l("Legal help"),
    "children": _l("Children and young people"),
    "lgbt": _l("LGBT+ people"),
    "men": _l("Men"),
    "older": _l("Older people"),
    "disabled": _l("Deaf and disabled people"),
    "honour": _l("Honour-based abuse, forced marriage and FGM"),
    "economic": _l("Economic abuse"),
    "stalking": _l("Stalking"),
    "sexual_violence": _l("Sexual violence"),
    "behaviour_change": _l("Help to change abusive behaviour"),
}
ACCESS = {
    "bsl": _l("British Sign Language (BSL)"),
    "relay_uk": _l("Relay UK (text relay)"),
    "interpreters": _l("Interpreters for other languages"),
}
CONTACT_KINDS = {
    "phone": _l("Phone"),
    "text": _l("Text message"),
    "email": _l("Email"),
    "website": _l("Website"),
    "chat": _l("Live chat"),
}
# Details an editor may mark as "not yet confirmed": shown to editors, refused in production.
CHECKABLE = {
    "contacts": _l("Contact details"),
    "hours": _l("Opening hours"),
    "languages": _l("Languages"),
    "access": _l("Access"),
    "description": _l("Description"),
}

HOURS_MESSAGE = _l("Write the hours like Mon-Fri 09:00-17:00; Sat 10:00-13:00, or 24/7, or leave empty if not known")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIMITS = {"name": 120, "summary": 300, "description": 6000, "label": 80, "value": 300, "source": 300}


def tel_digits(number: str) -> str:
    return re.sub(r"[^\d+]", "", number)


def phone_is_valid(number: str) -> bool:
    """A UK number a resident can dial: a full number or a short one such as 999, 101 or 116 123."""
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) or phonenumbers.is_valid_short_number(parsed)


def https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.netloc) and " " not in value


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _list(value) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return "invalid"


def language_name(code: str, locale: str) -> str | None:
    try:
        return Locale.parse(code).get_display_name(locale)
    except (ValueError, UnknownLocaleError):
        return None


def validate(data: dict, *, areas: dict, locales) -> tuple[dict, dict[str, list]]:
    """(the listing in canonical form, {field: [messages]}). Nothing is saved here."""
    errors: dict[str, list] = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    doc: dict = {}
    doc["slug"] = _text(data.get("slug")).lower()
    if not SLUG.match(doc["slug"]) or len(doc["slug"]) > 80:
        fail("slug", _l("Enter a short name for the address, in lower-case letters, numbers and hyphens"))
    for field in ("name", "summary", "description"):
        doc[field] = _text(data.get(field)).replace("\r\n", "\n")
        if len(doc[field]) > LIMITS[field]:
            fail(field, _l("This must be %(limit)s characters or fewer", limit=LIMITS[field]))
    if not doc["name"]:
        fail("name", _l("Enter the service's name"))
    if not doc["summary"]:
        fail("summary", _l("Enter a one-sentence summary of what the service does"))

    doc["categories"] = [c for c in CATEGORIES if c in _list(data.get("categories"))]
    unknown = set(_list(data.get("categories"))) - set(CATEGORIES)
    if not doc["categories"] or unknown:
        fail("categories", _l("Choose at least one kind of help the service gives"))

    coverage = data.get("coverage")
    if coverage == NATIONAL:
        doc["coverage"] = NATIONAL
    else:
        chosen = [a for a in areas if a in _list(coverage)]
        doc["coverage"] = chosen
        if not chosen or set(_list(coverage)) - set(areas):
            fail("coverage", _l("Choose national, or at least one local area the service covers"))

    doc["contacts"] = []
    for index, contact in enumerate(_list(data.get("contacts"))):
        contact = contact or {}
        kind, value, label, when = (_text(contact.get(key)) for key in ("kind", "value", "label", "hours"))
        if not (kind or value or label or when):
            continue
        field = f"contacts-{index}"
        entry = {"kind": kind, "value": value}
        if label:
            entry["label"] = label[:LIMITS["label"]]
        if when:
            # A way in with its own hours (a webchat open less than the phone line, say).
            try:
                entry["hours"] = opening_hours.normalise(when)
            except opening_hours.HoursError:
                entry["hours"] = when
                fail(f"{field}-hours", HOURS_MESSAGE)
        doc["contacts"].append(entry)
        if kind not in CONTACT_KINDS:
            fail(field, _l("Choose how to get in touch (phone, text, email, website or live chat)"))
        elif not value or len(value) > LIMITS["value"]:
            fail(field, _l("Enter the phone number, email address or web address"))
        elif kind in ("phone", "text") and not phone_is_valid(value):
            fail(field, _l("Enter a UK phone number in a format like 0808 2000 247, or a short number like 999"))
        elif kind == "email":
            try:
                validate_email(value, check_deliverability=False)
            except EmailNotValidError:
                fail(field, _l("Enter an email address in the correct format, like name@example.org"))
        elif kind in ("website", "chat") and not https_url(value):
            fail(field, _l("Enter a web address that starts with https://"))
    doc["hours"] = ""
    try:
        doc["hours"] = opening_hours.normalise(_text(data.get("hours")))
    except opening_hours.HoursError:
        doc["hours"] = _text(data.get("hours"))
        fail("hours", HOURS_MESSAGE)

    doc["languages"] = []
    for code in _list(data.get("languages")):
        code = _text(code).lower()
        if not code:
            continue
        if language_name(code, "en") is None:
            fail("languages", _l("Give languages as codes such as en, pl or ur, separated by commas"))
            break
        doc["languages"].append(code)
    doc["access"] = [a for a in ACCESS if a in _list(data.get("access"))]

    doc["source"] = _text(data.get("source"))
    if not https_url(doc["source"]) or len(doc["source"]) > LIMITS["source"]:
        fail("source", _l("Enter the https:// address of the page you checked the details against"))
    verified = _date(data.get("last_verified"))
    doc["last_verified"] = None if verified == "invalid" else verified
    if verified == "invalid":
        fail("last_verified", _l("Enter the date the details were last checked, like 2026-11-23"))
    try:
        doc["verify_every_days"] = int(data.get("verify_every_days") or DEFAULT_VERIFY_DAYS)
    except (TypeError, ValueError):
        doc["verify_every_days"] = DEFAULT_VERIFY_DAYS
        fail("verify_every_days", _l("Enter how often to check the details, in days, from 7 to 730"))
    if not 7 <= doc["verify_every_days"] <= 730:
        fail("verify_every_days", _l("Enter how often to check the details, in days, from 7 to 730"))
    doc["to_verify"] = [field for field in CHECKABLE if field in _list(data.get("to_verify"))]

    doc["translations"] = {}
    for locale, texts in (data.get("translations") or {}).items():
        summary = _text((texts or {}).get("summary"))
        if locale in locales and summary:
            doc["translations"][locale] = {"summary": summary[:LIMITS["summary"]]}
    return doc, errors


def due(doc: dict, today: date) -> date | None:
    """When the listing must next be checked; None when it never has been (so it is due now)."""
    if doc.get("last_verified") is None:
        return None
    return doc["last_verified"] + timedelta(days=doc.get("verify_every_days", DEFAULT_VERIFY_DAYS))


def overdue(doc: dict, today: date) -> bool:
    next_check = due(doc, today)
    return next_check is None or next_check < today


def placeholders(doc: dict) -> list[str]:
    """Fields that still hold [TO SUPPLY: ...] or are marked as not yet confirmed."""
    found = [f"{field} is not yet confirmed" for field in doc.get("to_verify", [])]
    for field in ("name", "summary", "description", "source"):
        if is_placeholder(doc.get(field)):
            found.append(f"{field} awaits the organisation")
    for contact in doc.get("contacts", []):
        if is_placeholder(contact.get("value")):
            found.append("a contact awaits the organisation")
    return found
