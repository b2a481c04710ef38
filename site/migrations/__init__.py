"""Alembic, configured from the app so `flask --app haven db upgrade` needs no alembic.ini."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str, **attributes) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    config.attributes.update(attributes)
    return config


def upgrade(database_url: str, revision: str = "head", **attributes) -> None:
    """`attributes` reach migrations that must read existing rows (0007 needs keyring, match_key
    and targets to fill triage columns from referrals already stored)."""
    command.upgrade(alembic_config(database_url, **attributes), revision)


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
