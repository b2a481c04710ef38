"""Listings in the database: every change is a revision and an audit event, in the caller's
transaction (callers commit). Seeds come in from content/services/*.yaml and go back out as YAML."""
from __future__ import annotations

import difflib
from datetime import date, datetime, timezone
from pathlib import Path

import yaml
from sqlalchemy import insert, select, update as sql_update
from sqlalchemy.orm import Session

from ..models import Listing, ListingRevision, ListingsVersion
from . import audit
from .listings import STATES, validate


class SeedError(ValueError):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def stored(doc: dict) -> dict:
    """The document as JSON can hold it (dates as ISO text)."""
    verified = doc.get("last_verified")
    return {**doc, "last_verified": verified.isoformat() if isinstance(verified, date) else verified}


def document(listing_or_revision) -> dict:
    doc = dict(listing_or_revision.document)
    if doc.get("last_verified"):
        doc["last_verified"] = date.fromisoformat(doc["last_verified"])
    return doc


def get(session: Session, listing_id: int) -> Listing | None:
    return session.get(Listing, listing_id)


def by_slug(session: Session, slug: str) -> Listing | None:
    return session.scalar(select(Listing).where(Listing.slug == slug))


def all_listings(session: Session) -> list[Listing]:
    return list(session.scalars(select(Listing).order_by(Listing.slug)))


def published(session: Session) -> list[dict]:
    return [document(listing) for listing in
            session.scalars(select(Listing).where(Listing.state == "published").order_by(Listing.slug))]


# Set on a session whose transaction raised the version, so this process can look again as soon
# as it commits (public/cache.py) rather than at its next periodic look.
CHANGED = "haven_listings_changed"


def bump_version(session: Session) -> None:
    """Raise the listings version in the caller's transaction. The UPDATE locks the row until
    commit, so versions follow the order transactions commit in: a process can never read a
    number whose change it cannot see yet."""
    raised = session.execute(sql_update(ListingsVersion).where(ListingsVersion.id == 1)
                             .values(version=ListingsVersion.version + 1))
    if raised.rowcount == 0:  # the row is made by migration 0018; only a hand-emptied table lacks it
        session.execute(insert(ListingsVersion).values(id=1, version=1))
    session.info[CHANGED] = True


def version(session: Session) -> int:
    """The listings version now: one row by its primary key."""
    return session.scalar(select(ListingsVersion.version).where(ListingsVersion.id == 1)) or 0


def _revise(session: Session, listing: Listing, action: str, author: str) -> ListingRevision:
    number = (listing.revisions[-1].number + 1) if listing.revisions else 1
    revision = ListingRevision(number=number, action=action, state=listing.state,
                               document=dict(listing.document), author=author, at=utcnow())
    listing.revisions.append(revision)
    listing.updated_at = revision.at
    audit.record(session, actor=author, action=f"listing.{action}", record_type="listing",
                 record_id=listing.slug, detail=f"revision {number}, {listing.state}")
    bump_version(session)  # every change to a listing comes through here
    return revision


def create(session: Session, doc: dict, author: str, state: str = "draft", action: str = "created") -> Listing:
    listing = Listing(slug=doc["slug"], state=state, document=stored(doc))
    session.add(listing)
    _revise(session, listing, action, author)
    session.flush()
    return listing


def update(session: Session, listing: Listing, doc: dict, author: str, action: str = "edited") -> bool:
    """False when nothing changed (no revision is written for an unchanged save)."""
    new = stored({**doc, "slug": listing.slug})
    if new == listing.document:
        return False
    listing.document = new
    _revise(session, listing, action, author)
    return True


def set_state(session: Session, listing: Listing, state: str, author: str) -> bool:
    if state not in STATES:
        raise ValueError(state)
    if listing.state == state:
        return False
    listing.state = state
    _revise(session, listing, {"published": "published", "retired": "retired", "draft": "unpublished"}[state], author)
    return True


def mark_verified(session: Session, listing: Listing, author: str, today: date) -> None:
    listing.document = {**listing.document, "last_verified": today.isoformat()}
    _revise(session, listing, "verified", author)


def revert(session: Session, listing: Listing, number: int, author: str) -> bool:
    revision = revision_number(listing, number)
    if revision is None:
        return False
    # The words go back to the old version; whether residents see it stays as it is now.
    listing.document = dict(revision.document)
    _revise(session, listing, "reverted", author)
    return True


def revision_number(listing: Listing, number: int) -> ListingRevision | None:
    return next((r for r in listing.revisions if r.number == number), None)


def as_yaml(doc: dict, state: str | None = None) -> str:
    data = stored(doc)
    if state:
        data = {"slug": data["slug"], "state": state, **data}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def diff(older: dict | None, newer: dict) -> list[str]:
    """Line by line, what changed from one version to the next ("+"/"-" lines, with context)."""
    before = as_yaml(older).splitlines() if older else []
    return list(difflib.unified_diff(before, as_yaml(newer).splitlines(), "before", "after", lineterm="", n=2))[2:]


# --- seeds ---------------------------------------------------------------------------------------

def read_seed(path: Path, *, areas: dict, locales) -> tuple[dict, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SeedError(f"{path.name}: not a listing")
    state = data.get("state", "draft")
    doc, errors = validate(data, areas=areas, locales=locales)
    if state not in STATES:
        errors.setdefault("state", []).append(f"state must be one of {', '.join(STATES)}")
    if doc["slug"] != path.stem:
        errors.setdefault("slug", []).append(f"slug must match the file name ({path.stem})")
    if errors:
        problems = "; ".join(f"{field}: {', '.join(str(m) for m in messages)}" for field, messages in errors.items())
        raise SeedError(f"{path.name}: {problems}")
    return doc, state


def seed_paths(content_dir: Path) -> list[Path]:
    return sorted((Path(content_dir) / "services").glob("*.yaml"))


def load_seeds(session: Session, content_dir: Path, *, areas: dict, locales, author: str = "content load") -> dict:
    """Create what is new, refresh what only a seed ever wrote, keep what an editor changed.
    Running it twice changes nothing the second time."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    for path in seed_paths(content_dir):
        doc, state = read_seed(path, areas=areas, locales=locales)
        listing = by_slug(session, doc["slug"])
        if listing is None:
            create(session, doc, author, state=state, action="loaded")
            counts["created"] += 1
        elif stored(doc) == listing.document and state == listing.state:
            counts["unchanged"] += 1
        elif any(r.author != author for r in listing.revisions):
            counts["kept"] += 1  # an editor has worked on it: the database is the newer truth
        else:
            update(session, listing, doc, author, action="loaded")
            set_state(session, listing, state, author)
            counts["updated"] += 1
    return counts


def export(session: Session, directory: Path) -> int:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    listings = all_listings(session)
    for listing in listings:
        (directory / f"{listing.slug}.yaml").write_text(as_yaml(document(listing), listing.state), encoding="utf-8")
    return len(listings)
