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

_OUTWARD = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?:\s*[0-9][A-Z]{2})?$")


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
            if not _OUTWARD.match(district) or district != outward_code(district):
                raise AreaError(f"areas.yaml: {area_id}: {district} is not a postcode district")
        areas[str(area_id)] = Area(str(area_id), str(entry["name"]), districts, bool(entry.get("to_verify")))
    return areas


def outward_code(text: str) -> str | None:
    """The district part of what someone typed ("ws1 2ab" gives "WS1"); None if it is not one."""
    match = _OUTWARD.match((text or "").strip().upper())
    return match.group(1) if match else None


def areas_for_district(areas: dict[str, Area], district: str) -> list[Area]:
    # A district that crosses a boundary belongs to each area it touches.
    return [area for area in areas.values() if district in area.districts]
