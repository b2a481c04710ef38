"""Local authority areas and the postcode districts in them, from content/areas.yaml.

A postcode district (the first half of a postcode, "WS1") is matched here, on the server, against
that file: nothing is looked up anywhere else, and only the district is ever kept in a URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

# A district (outward code) is one or two letters, a digit, then maybe a digit or a letter: B1,
# WS1, WS11, EC1A. The other half (inward code) is always a digit and two letters: 1AA.
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_INWARD = re.compile(r"^[0-9][A-Z]{2}$")


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    districts: tuple[str, ...]
    to_verify: bool


class AreaError(ValueError):
    pass


def load_areas(content_dir: Path) -> dict[str, Area]:
    path = Path(content_dir) / "areas.yaml"
    if not path.exists():
        return {}
    stat = path.stat()
    # Read once per version of the file, not on every request for the directory.
    return dict(_read(path, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _read(path: Path, mtime_ns: int, size: int) -> dict[str, Area]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    areas = {}
    for area_id, entry in (data.get("areas") or {}).items():
        if not isinstance(entry, dict) or not entry.get("name"):
            raise AreaError(f"areas.yaml: {area_id} needs a name")
        districts = tuple(str(d).upper().replace(" ", "") for d in entry.get("districts") or ())
        for district in districts:
            if outward_code(district) != district:
                raise AreaError(f"areas.yaml: {area_id}: {district} is not a postcode district")
        areas[str(area_id)] = Area(str(area_id), str(entry["name"]), districts, bool(entry.get("to_verify")))
    return areas


def outward_code(text: str) -> str | None:
    """The district part of what someone typed, or None if it is neither a district nor a postcode.

    Spaces and case do not matter: "ws1 1aa", "WS11AA" and "W S 1 1 A A" all give "WS1". With the
    spaces gone, 2 to 4 characters are a district on their own ("ws11" is WS11); 5 to 7 are a whole
    postcode, whose last 3 are the inward code, so the district is the rest ("WS11AA" is WS1).
    """
    compact = "".join((text or "").split()).upper()
    if 5 <= len(compact) <= 7:
        compact, inward = compact[:-3], compact[-3:]
        if not _INWARD.match(inward):
            return None
    return compact if _OUTWARD.match(compact) else None


def areas_for_district(areas: dict[str, Area], district: str) -> list[Area]:
    # A district that crosses a boundary belongs to each area it touches.
    return [area for area in areas.values() if district in area.districts]
