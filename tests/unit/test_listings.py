"""Listings: the rules every listing meets, the seeds, load/export/check and opening hours."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone

import pytest
import yaml
from sqlalchemy import select

from haven import db
from haven.i18n import LOCALES
from haven.models import AuditEvent, Listing
from haven.services import hours, listing_store
from haven.services.areas import areas_for_district, load_areas, outward_code
from haven.services.content_check import check
from haven.services.listings import overdue, validate
from tests.helpers import CONTENT_DIR

AREAS = load_areas(CONTENT_DIR)


def valid(**changes) -> dict:
    data = {"slug": "test-service", "name": "Test service", "summary": "Helps.", "categories": ["helpline"],
            "coverage": "national", "contacts": [{"kind": "phone", "value": "0808 2000 247"}],
            "hours": "Mon-Fri 09:00-17:00", "source": "https://example.org/about"}
    data.update(changes)
    return data


# --- opening hours -------------------------------------------------------------------------------

def uk(*args) -> datetime:
    return datetime(*args, tzinfo=hours.UK)


@pytest.mark.parametrize("line, moment, expected", [
    ("24/7", uk(2026, 11, 22, 3, 0), True),
    ("Mon-Fri 09:00-17:00", uk(2026, 11, 23, 9, 0), True),          # a Monday, opening minute
    ("Mon-Fri 09:00-17:00", uk(2026, 11, 23, 17, 0), False),        # closed at the closing minute
    ("Mon-Fri 09:00-17:00", uk(2026, 11, 22, 12, 0), False),        # a Sunday
    ("Fri 19:00-07:00", uk(2026, 11, 28, 6, 59), True),              # Saturday morning, from Friday
    ("Fri 19:00-07:00", uk(2026, 11, 27, 6, 59), False),             # Friday morning is not Thursday's
    ("Sat-Sun 10:00-24:00", uk(2026, 11, 29, 23, 59), True),
    ("Sun-Mon 08:00-09:00", uk(2026, 11, 23, 8, 30), True),          # a range across the week's end
    ("", uk(2026, 11, 23, 12, 0), None),                             # not known is not "closed"
])
def test_open_now_in_uk_time(line, moment, expected):
    assert hours.is_open(hours.parse(line), moment) is expected


def test_open_now_follows_british_summer_time():
    # 08:30 UTC is 09:30 in London in July (BST) but 08:30 in January (GMT).
    spec = hours.parse("Mon-Fri 09:00-17:00")
    assert hours.is_open(spec, datetime(2026, 7, 6, 8, 30, tzinfo=timezone.utc)) is True
    assert hours.is_open(spec, datetime(2026, 1, 5, 8, 30, tzinfo=timezone.utc)) is False


@pytest.mark.parametrize("line", ["Mon-Fri", "Funday 09:00-10:00", "Mon 25:00-26:00", "Mon 09:00-09:00", ";"])
def test_hours_that_cannot_be_read_are_refused(line):
    with pytest.raises(hours.HoursError):
        hours.parse(line)


def test_hours_have_one_spelling():
    assert hours.normalise("mon,tue,wed,thu,fri 9:00 - 17:00 ; SAT 10:00-13:00") == \
        "Mon-Fri 09:00-17:00; Sat 10:00-13:00"


# --- validation ----------------------------------------------------------------------------------

def test_a_complete_listing_passes():
    doc, errors = validate(valid(), areas=AREAS, locales=LOCALES)
    assert errors == {} and doc["hours"] == "Mon-Fri 09:00-17:00" and doc["last_verified"] is None


@pytest.mark.parametrize("changes, field", [
    ({"name": " "}, "name"),
    ({"summary": ""}, "summary"),
    ({"slug": "Not A Slug!"}, "slug"),
    ({"categories": []}, "categories"),
    ({"categories": ["helpline", "astrology"]}, "categories"),
    ({"coverage": ["atlantis"]}, "coverage"),
    ({"contacts": [{"kind": "phone", "value": "12345"}]}, "contacts-0"),
    ({"contacts": [{"kind": "website", "value": "http://example.org"}]}, "contacts-0"),
    ({"contacts": [{"kind": "chat", "value": "javascript:alert(1)"}]}, "contacts-0"),
    ({"contacts": [{"kind": "email", "value": "not an email"}]}, "contacts-0"),
    ({"contacts": [{"kind": "fax", "value": "0121 000 0000"}]}, "contacts-0"),
    ({"hours": "whenever"}, "hours"),
    ({"contacts": [{"kind": "chat", "value": "https://example.org/chat", "hours": "evenings"}]}, "contacts-0-hours"),
    ({"languages": ["english"]}, "languages"),
    ({"source": "http://example.org"}, "source"),
    ({"last_verified": "yesterday"}, "last_verified"),
    ({"verify_every_days": "0"}, "verify_every_days"),
])
def test_each_rule_names_its_field(changes, field):
    _, errors = validate(valid(**changes), areas=AREAS, locales=LOCALES)
    assert list(errors) == [field]


def test_a_contact_can_have_its_own_hours():
    doc, errors = validate(valid(contacts=[{"kind": "chat", "value": "https://example.org/chat",
                                            "hours": "mon-fri 15:00-22:00"}]), areas=AREAS, locales=LOCALES)
    assert errors == {} and doc["contacts"][0]["hours"] == "Mon-Fri 15:00-22:00"


def test_short_numbers_and_local_coverage_are_accepted():
    doc, errors = validate(valid(contacts=[{"kind": "phone", "value": "116 123"}], coverage=["walsall"]),
                           areas=AREAS, locales=LOCALES)
    assert errors == {} and doc["coverage"] == ["walsall"]


# --- areas ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, district", [("ws1", "WS1"), (" WS1 2AB ", "WS1"), ("wv13 1aa", "WV13"),
                                             ("ws10", "WS10"), ("B1", "B1"), ("12345", None), ("", None)])
def test_only_the_postcode_district_is_taken(typed, district):
    assert outward_code(typed) == district


def test_a_district_finds_its_area():
    assert [a.id for a in areas_for_district(AREAS, "WS2")] == ["walsall"]
    assert areas_for_district(AREAS, "ZE1") == []


# --- seeds, load, export, check ------------------------------------------------------------------

SEEDS = sorted(p.stem for p in (CONTENT_DIR / "services").glob("*.yaml"))


@pytest.mark.parametrize("slug", SEEDS)
def test_every_seed_is_valid_and_flags_what_is_not_certain(slug):
    path = CONTENT_DIR / "services" / f"{slug}.yaml"
    doc, state = listing_store.read_seed(path, areas=AREAS, locales=LOCALES)
    assert doc["source"].startswith("https://")
    # A seed never claims to have been checked by the organisation: an editor does that.
    assert doc["last_verified"] is None
    if not doc["hours"]:
        assert "hours" in doc["to_verify"]
    if state == "published":
        assert any(c["kind"] in ("phone", "text") for c in doc["contacts"]) or "contacts" in doc["to_verify"]


def test_the_seeds_include_the_national_services_the_issue_names():
    wanted = {"national-domestic-abuse-helpline", "mens-advice-line", "galop", "karma-nirvana",
              "forced-marriage-unit", "respect-phoneline", "national-stalking-helpline", "rape-crisis",
              "hourglass", "samaritans", "nspcc-helpline", "childline"}
    assert wanted <= set(SEEDS)


def listings(app) -> dict[str, Listing]:
    with app.app_context():
        return {listing.slug: (listing.state, listing_store.document(listing), len(listing.revisions))
                for listing in listing_store.all_listings(db.session())}


def test_content_load_is_idempotent_by_slug(app, runner):
    first = runner.invoke(args=["content", "load"])
    assert f"{len(SEEDS)} created" in first.output
    second = runner.invoke(args=["content", "load"])
    assert f"{len(SEEDS)} unchanged" in second.output
    loaded = listings(app)
    assert set(loaded) == set(SEEDS)
    assert all(revisions == 1 for _, _, revisions in loaded.values())
    assert loaded["galop"][0] == "published" and loaded["walsall-idva-service"][0] == "draft"


def test_content_load_keeps_what_an_editor_changed(app, runner, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    app.config["CONTENT_DIR"] = content
    runner.invoke(args=["content", "load"])
    with app.app_context():
        session = db.session()
        galop = session.scalar(select(Listing).where(Listing.slug == "galop"))
        listing_store.mark_verified(session, galop, "editor@example.org", date(2026, 11, 23))
        session.commit()
    for slug in ("galop", "samaritans"):
        path = content / "services" / f"{slug}.yaml"
        path.write_text(path.read_text().replace("verify_every_days: 90", "verify_every_days: 60"))
    result = runner.invoke(args=["content", "load"])
    assert "1 updated" in result.output and "1 kept" in result.output
    loaded = listings(app)
    assert loaded["galop"][1]["last_verified"] == date(2026, 11, 23)
    assert loaded["samaritans"][1]["verify_every_days"] == 60


def test_export_writes_what_load_reads_back_unchanged(app, runner, tmp_path):
    runner.invoke(args=["content", "load"])
    result = runner.invoke(args=["content", "export", str(tmp_path / "out")])
    assert f"{len(SEEDS)} written" in result.output
    exported = yaml.safe_load((tmp_path / "out" / "police-emergency.yaml").read_text())
    assert exported["state"] == "published" and exported["hours"] == "24/7"
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    shutil.rmtree(content / "services")
    shutil.copytree(tmp_path / "out", content / "services")
    app.config["CONTENT_DIR"] = content
    assert f"{len(SEEDS)} unchanged" in runner.invoke(args=["content", "load"]).output


def test_content_load_refuses_an_invalid_seed_and_says_which(app, runner, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "services" / "galop.yaml"
    path.write_text(path.read_text().replace("0800 999 5428", "0800 999"))
    app.config["CONTENT_DIR"] = content
    result = runner.invoke(args=["content", "load"])
    assert result.exit_code != 0 and "galop.yaml" in result.output and "contacts-0" in result.output
    assert listings(app) == {}


def test_check_reports_unchecked_listings_and_fails_in_production_until_verified(app, runner):
    passes, lines = check(CONTENT_DIR, production=True, locales=LOCALES, today=date(2026, 11, 23))
    assert not passes and "error: listing galop: never checked" in lines
    runner.invoke(args=["content", "load"])
    with app.app_context():
        session = db.session()
        for listing in listing_store.all_listings(session):
            listing_store.mark_verified(session, listing, "editor@example.org", date(2026, 1, 1))
        session.commit()
        loaded = {doc["slug"]: doc for doc in listing_store.published(session)}
    _, lines = check(CONTENT_DIR, production=True, loaded=loaded, locales=LOCALES, today=date(2026, 11, 23))
    assert "error: listing galop: last checked 2026-01-01, a check is overdue" in lines
    assert not any("listing galop: never checked" in line for line in lines)


def test_overdue_follows_the_listings_own_interval():
    doc = {"last_verified": date(2026, 10, 1), "verify_every_days": 30}
    assert overdue(doc, date(2026, 11, 1)) and not overdue(doc, date(2026, 10, 31))


def test_every_change_is_a_revision_and_an_audit_event(app):
    with app.app_context():
        session = db.session()
        doc, _ = validate(valid(), areas=AREAS, locales=LOCALES)
        listing = listing_store.create(session, doc, "editor@example.org")
        assert listing_store.update(session, listing, {**doc, "name": "Renamed"}, "editor@example.org")
        assert not listing_store.update(session, listing, {**doc, "name": "Renamed"}, "editor@example.org")
        listing_store.set_state(session, listing, "published", "editor@example.org")
        listing_store.revert(session, listing, 1, "editor@example.org")
        session.commit()
        assert [r.action for r in listing.revisions] == ["created", "edited", "published", "reverted"]
        assert listing.state == "published" and listing.document["name"] == "Test service"
        assert "-name: Renamed" in listing_store.diff(listing.revisions[2].document, listing.revisions[3].document)
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.record_type == "listing")).all()
        assert actions == ["listing.created", "listing.edited", "listing.published", "listing.reverted"]


def test_content_check_works_before_the_schema_exists(test_config, tmp_path):
    from haven import create_app

    app = create_app({**test_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0 and "checking the seeds only" in result.output
    assert "placeholder: listing galop: never checked" in result.output
