"""Helpers the unit and browser tests share."""
from __future__ import annotations


def public_paths(locale: str) -> list[str]:
    """Every public page in one locale: the pages a resident can reach."""
    from haven.services.pages import SLUGS

    forms = ["ask-for-help", "ask-for-help/form", "ask-for-help/sent", "tell-us-about-someone",
             "tell-us-about-someone/sent"]
    return [f"/{locale}/"] + [f"/{locale}/{slug}" for slug in SLUGS] + [f"/{locale}/{step}" for step in forms]

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
