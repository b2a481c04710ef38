"""The listings version (issue 17): raised with every change residents could see, so every process's
rendered pages follow an editor's change; and the directory, rendered once per minute, still right
about "open now" to the minute."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from haven import create_app, db
from haven.services import hours, listing_store
from tests.unit.test_directory import add_listing, names, soup


def version(app) -> int:
    with app.app_context():
        return listing_store.version(db.session())


def test_every_change_to_a_listing_raises_the_version_and_an_undone_one_does_not(app):
    start = version(app)
    add_listing(app, state="draft")
    assert version(app) == start + 1
    with app.app_context():
        session = db.session()
        listing = listing_store.by_slug(session, "walsall-test-service")
        listing_store.set_state(session, listing, "published", "editor")
        session.commit()
        assert version(app) == start + 2
        listing_store.update(session, listing, {**listing_store.document(listing), "summary": "Changed."}, "editor")
        session.commit()
        listing_store.mark_verified(session, listing, "editor", date(2026, 11, 23))
        session.commit()
        listing_store.revert(session, listing, 1, "editor")
        session.commit()
        assert version(app) == start + 5
        listing_store.set_state(session, listing, "retired", "editor")
        session.rollback()
    assert version(app) == start + 5
    # Saving what is already there changes nothing residents see, and no number.
    with app.app_context():
        session = db.session()
        listing = listing_store.by_slug(session, "walsall-test-service")
        assert not listing_store.update(session, listing, listing_store.document(listing), "editor")
        session.commit()
    assert version(app) == start + 5


@pytest.fixture
def clock(monkeypatch):
    from haven.public import directory_views

    class Clock:
        now = datetime(2026, 11, 23, 16, 59, 0, tzinfo=hours.UK)  # a Monday, a minute before closing

    monkeypatch.setattr(directory_views, "now", lambda: Clock.now)
    return Clock


def test_open_now_is_right_to_the_minute_though_the_page_is_kept(app, client, clock):
    add_listing(app)  # Mon-Fri 09:00-17:00
    path = "/en/support-services?area=walsall&open=1"
    for second in (0, 59):
        clock.now = clock.now.replace(second=second)
        page = soup(client.get(path))
        assert names(page, "local-heading") == ["Walsall test service"]
        assert page.find(id="listing-walsall-test-service").find_parent("article").select_one(".tag-open")
    clock.now = datetime(2026, 11, 23, 17, 0, 0, tzinfo=hours.UK)
    assert names(soup(client.get(path)), "local-heading") == []
    # Without the filter the card stays, and no longer says it is open.
    card = soup(client.get("/en/support-services?area=walsall")).find(id="listing-walsall-test-service")
    assert card.find_parent("article").select_one(".tag-open") is None


def test_a_change_made_by_another_process_reaches_this_ones_pages(app, client, clock, test_config):
    add_listing(app)
    path = "/en/support-services?area=walsall"
    assert names(soup(client.get(path)), "local-heading") == ["Walsall test service"]
    # Another process on the same database (its own app: its own page cache) retires the service.
    other = create_app(dict(test_config))
    with other.app_context():
        session = db.session()
        listing_store.set_state(session, listing_store.by_slug(session, "walsall-test-service"), "retired", "editor")
        session.commit()
    app.config["VERSION_CHECK_SECONDS"] = 0  # this process's next look at the version is now
    assert names(soup(client.get(path)), "local-heading") == []


def test_this_processs_own_change_shows_at_once(app, client, clock):
    add_listing(app)
    path = "/en/support-services?area=walsall"
    app.config["VERSION_CHECK_SECONDS"] = 3600  # no periodic look during the test
    assert names(soup(client.get(path)), "local-heading") == ["Walsall test service"]
    with app.app_context():
        session = db.session()
        listing_store.set_state(session, listing_store.by_slug(session, "walsall-test-service"), "retired", "editor")
        session.commit()
    assert names(soup(client.get(path)), "local-heading") == []


def test_without_the_listings_version_the_public_pages_still_answer_and_say_so_once(test_config, tmp_path, caplog):
    # A database with no tables: the version cannot be read, nor the listings.
    app = create_app({**test_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
                      "VERSION_CHECK_SECONDS": 0})
    client = app.test_client()
    with caplog.at_level("WARNING", logger="haven.public.cache"):
        for _ in range(3):
            response = client.get("/en/")
            assert response.status_code == 200 and 'href="tel:999"' in response.get_data(as_text=True)
    assert [r.getMessage() for r in caplog.records if r.name == "haven.public.cache"] == [
        "listings version could not be read; serving the pages already rendered"]
