"""Helpers the unit and browser tests share."""
from __future__ import annotations


def public_paths(locale: str) -> list[str]:
    """Every public page in one locale: the pages a resident can reach."""
    from haven.public.pages import PAGES

    return [f"/{locale}/"] + [f"/{locale}/{slug}" for slug in PAGES]

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
