"""The organisation's profile from content/site.yaml: loading, placeholders and checks."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from . import commitments as commitments_module
from .commitments import Commitments
from .targets import Targets

PLACEHOLDER = re.compile(r"^\[TO SUPPLY:[^\]]*\]$")
# The same marker inside running text (a page), where it ends at the first "]".
INLINE_PLACEHOLDER = re.compile(r"\[TO SUPPLY:[^\]<]*\]")


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and bool(PLACEHOLDER.match(value.strip()))


@dataclass(frozen=True)
class SiteProfile:
    name: str
    da_phone: str
    da_email: str
    opening_hours: str
    areas_served: tuple[str, ...]
    targets: Targets
    commitments: Commitments
    exit_destination: str
    digest: str = field(compare=False)
    raw: dict = field(compare=False, repr=False)


class ContentError(ValueError):
    pass


def _get(data: dict, dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ContentError(f"site.yaml: {dotted} is missing")
        value = value[part]
    return value


def load_profile(content_dir: Path) -> SiteProfile:
    path = Path(content_dir) / "site.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    profile = SiteProfile(
        name=str(_get(data, "organisation.name")),
        da_phone=str(_get(data, "organisation.da_team.phone")),
        da_email=str(_get(data, "organisation.da_team.email")),
        opening_hours=str(_get(data, "organisation.da_team.opening_hours")),
        areas_served=tuple(str(a) for a in _get(data, "organisation.areas_served")),
        targets=_targets(data),
        commitments=_commitments(Path(content_dir), data),
        exit_destination=str(data.get("exit_destination") or "https://www.bbc.co.uk/weather"),
        digest=hashlib.sha256(text.encode()).hexdigest(),
        raw=data,
    )
    return profile


def _commitments(content_dir: Path, data: dict) -> Commitments:
    relative = str(_get(data, "commitments"))
    path = (content_dir / relative).resolve()
    if not path.is_relative_to(content_dir.resolve()) or not path.is_file():
        raise ContentError(f"site.yaml: commitments names {relative!r}, which is not a file in content/")
    try:
        return commitments_module.load(path)
    except (OSError, yaml.YAMLError, commitments_module.CommitmentError) as error:
        raise ContentError(str(error)) from None


def _targets(data: dict) -> Targets:
    values = {}
    for name in ("urgent_hours", "standard_working_days"):
        value = _get(data, f"response_targets.{name}")
        # bool is an int to Python; "yes" is no number of hours.
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 240:
            raise ContentError(f"site.yaml: response_targets.{name} must be a whole number from 1 to 240, not {value!r}")
        values[name] = value
    confirmed = _get(data, "response_targets.confirmed")
    if not isinstance(confirmed, bool):
        raise ContentError("site.yaml: response_targets.confirmed must be true or false")
    return Targets(confirmed=confirmed, **values)


def unconfirmed(profile: SiteProfile) -> list[str]:
    """What the organisation has yet to confirm beyond the [TO SUPPLY] placeholders."""
    return [] if profile.targets.confirmed else ["response_targets are development defaults (set confirmed: true once agreed)"]


def placeholders(data: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every value still waiting for the organisation."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found += placeholders(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += placeholders(value, f"{prefix}{index}.")
    elif is_placeholder(data):
        found.append(prefix.rstrip("."))
    return found


def problems(profile: SiteProfile) -> list[str]:
    """What is wrong with the profile whatever the environment."""
    found = []
    if not profile.name.strip():
        found.append("organisation.name is empty")
    parts = urlsplit(profile.exit_destination)
    if parts.scheme != "https" or not parts.netloc:
        found.append("exit_destination must be an https:// address on another site")
    if not profile.areas_served:
        found.append("organisation.areas_served lists no area")
    if not is_placeholder(profile.opening_hours):
        from .hours import HoursError, parse

        try:
            parse(profile.opening_hours)
        except HoursError as error:
            # The team's hours are data each language words for itself, in the listings' format.
            found.append(f"organisation.da_team.opening_hours: {error}")
    return found
