"""Opening hours in one short, checkable line: "24/7", or periods such as
"Mon-Fri 09:00-17:00; Sat 10:00-13:00". A period that closes at or before it opens runs past
midnight ("Fri 19:00-07:00" ends on Saturday morning). An empty line means the hours are not known.

Editors type the line, seeds store it, and the directory reads it to say whether a service is open
now in UK time and to describe its hours in the reader's language.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
_PERIOD = re.compile(r"^(?P<days>[a-z,\- ]+?)\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$")


class HoursError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    days: tuple[int, ...]  # 0 = Monday
    opens: int             # minutes after midnight
    closes: int            # 1..1440; at or before opens means the next morning


@dataclass(frozen=True)
class Hours:
    always: bool
    periods: tuple[Period, ...]


def _minutes(text: str, allow_midnight_end: bool) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0 and allow_midnight_end:
        return 1440
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise HoursError(f"{text} is not a time of day")
    return hours * 60 + minutes


def _days(text: str) -> tuple[int, ...]:
    found: list[int] = []
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise HoursError(f"{part or '(nothing)'} is not a day or range of days such as Mon-Fri")
        start, end = DAYS.index(first), DAYS.index(last or first)
        found += [(start + step) % 7 for step in range((end - start) % 7 + 1)]
    return tuple(dict.fromkeys(found))


def parse(line: str | None) -> Hours | None:
    """None when the hours are not known; HoursError says what is wrong with a line."""
    line = (line or "").strip().lower()
    if not line:
        return None
    if line == ALWAYS:
        return Hours(True, ())
    periods = []
    for chunk in filter(None, (part.strip() for part in line.split(";"))):
        match = _PERIOD.match(chunk)
        if not match:
            raise HoursError(f"{chunk!r} should look like Mon-Fri 09:00-17:00")
        opens = _minutes(match["opens"], allow_midnight_end=False)
        closes = _minutes(match["closes"], allow_midnight_end=True)
        if opens == closes:
            raise HoursError(f"{chunk!r} opens and closes at the same time; write 24/7 or give hours")
        periods.append(Period(_days(match["days"]), opens, closes))
    if not periods:
        raise HoursError("no opening period given")
    return Hours(False, tuple(periods))


def normalise(line: str | None) -> str:
    """The line in its canonical spelling (so stored values compare equal)."""
    hours = parse(line)
    if hours is None:
        return ""
    if hours.always:
        return ALWAYS
    return "; ".join(f"{_day_text(p.days)} {_clock(p.opens)}-{_clock(p.closes)}" for p in hours.periods)


def _day_text(days: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and day == (runs[-1][-1] + 1) % 7:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [DAYS[r[0]].capitalize() + (f"-{DAYS[r[-1]].capitalize()}" if len(r) > 1 else "") for r in runs]
    return ",".join(names)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def is_open(hours: Hours | None, moment: datetime) -> bool | None:
    """Open at `moment` (any timezone; judged in UK time)? None when the hours are not known."""
    if hours is None:
        return None
    if hours.always:
        return True
    local = moment.astimezone(UK)
    day, minute = local.weekday(), local.hour * 60 + local.minute
    for period in hours.periods:
        overnight = period.closes <= period.opens
        if day in period.days and period.opens <= minute < (1440 if overnight else period.closes):
            return True
        if overnight and (day - 1) % 7 in period.days and minute < period.closes:
            return True
    return False


def describe(hours: Hours, day_names: list[str], span) -> list[tuple[str, str]]:
    """[(days, times)] for display. day_names: Monday..Sunday in the reader's language;
    span(first, last) joins a range of days in it ("Monday to Friday")."""
    lines = []
    for period in hours.periods:
        parts = []
        for run in _day_text(period.days).split(","):
            first, _, last = run.partition("-")
            first_name = day_names[DAYS.index(first.lower())]
            parts.append(span(first_name, day_names[DAYS.index(last.lower())]) if last else first_name)
        lines.append((", ".join(parts), f"{_clock(period.opens)}–{_clock(period.closes)}"))
    return lines


def in_words(line: str, locale: str) -> str:
    """One line of hours as the reader's language says it ("Monday to Friday 09:00–17:00", in
    Polish "poniedziałek do piątek ..."), for the organisation's own opening hours on its pages."""
    from babel.dates import get_day_names
    from flask_babel import force_locale, gettext

    spec = parse(line)
    with force_locale(locale):
        if spec is None:
            return ""
        if spec.always:
            return gettext("24 hours a day, every day")
        day_names = [get_day_names("wide", locale=locale)[day] for day in range(7)]
        return "; ".join(f"{days} {times}" for days, times in describe(
            spec, day_names, lambda first, last: gettext("%(first)s to %(last)s", first=first, last=last)))
