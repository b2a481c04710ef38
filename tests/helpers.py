"""Helpers the unit and browser tests share."""
from __future__ import annotations


def public_paths(locale: str) -> list[str]:
    """Every public page in one locale: the pages a resident can reach."""
    from haven.services.pages import SLUGS

    forms = ["support-services", "support-services?district=WS1&open=1", "ask-for-help", "ask-for-help/form", "ask-for-help/sent", "tell-us-about-someone",
             "tell-us-about-someone/sent"]
    return [f"/{locale}/"] + [f"/{locale}/{slug}" for slug in SLUGS] + [f"/{locale}/{step}" for step in forms]

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"


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
