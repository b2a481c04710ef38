"""The public directory: which published listings to show for an area, a need and "open now",
and each listing made ready for a reader in one language. Plain functions; the view only calls them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from babel.dates import get_day_names
from flask_babel import gettext
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..security.sanitise import clean
from . import hours as opening_hours
from .areas import Area, areas_for_district, outward_code
from .listings import ACCESS, CATEGORIES, CONTACT_KINDS, NATIONAL, language_name, tel_digits

# The order the directory lists services in, most needed first. Someone in danger reads from the top
# and may not scroll far, so this is chosen by hand from how often people facing domestic abuse need
# each service, the lines open 24/7 first; the alphabet would put Childline first and the police near
# the end. This is the one place the order is kept. A listing not named here (a new one, say) comes
# after these, by name; local services follow the same rule within their own section.
RANKING = (
    "national-domestic-abuse-helpline",  # 24/7, the first call for domestic abuse
    "police-emergency",                   # 24/7: 999, the Silent Solution, 101, Relay UK
    "rape-crisis",                        # 24/7: sexual violence is common in abusive relationships
    "samaritans",                         # 24/7: someone to talk to, including about suicide
    "mens-advice-line",
    "galop",
    "national-stalking-helpline",
    "karma-nirvana",
    "forced-marriage-unit",
    "nspcc-helpline",
    "childline",
    "hourglass",
    "surviving-economic-abuse",
    "respect-phoneline",                  # for people worried about their own behaviour
)
_RANK = {slug: place for place, slug in enumerate(RANKING)}


def ranked(doc: dict) -> tuple:
    """The sort key for RANKING: ranked listings in its order, then the rest by name."""
    return (_RANK.get(doc["slug"], len(RANKING)), doc["name"].casefold())


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@lru_cache(maxsize=512)
def render_description(text: str) -> Markup:
    """Markdown through the one bleach policy: the editor's preview and the public page both use it.
    Kept per process by text, so an unchanged description is not parsed again on every request."""
    return Markup(clean(_markdown.render(text or "")))


@dataclass
class Query:
    district: str = ""        # the postcode district, never more of the postcode
    area: str = ""
    need: str = ""
    open_now: bool = False
    errors: dict = field(default_factory=dict)
    redirect: bool = False    # what was typed held more than the district: send the reader to the tidy URL

    def args(self) -> dict:
        found = {"district": self.district, "area": self.area, "need": self.need, "open": "1" if self.open_now else ""}
        return {key: value for key, value in found.items() if value}


def read_query(args, areas: dict[str, Area], messages) -> Query:
    """The filters from the URL. Anything that is not one of ours is an error, and is not used."""
    query = Query()
    typed = (args.get("district") or "").strip()[:20]
    if typed:
        district = outward_code(typed)
        if district is None:
            query.errors["district"] = messages["district"]
        else:
            query.district = district
            query.redirect = district != typed
    area = args.get("area") or ""
    if area and area not in areas:
        query.errors["area"] = messages["area"]
    else:
        query.area = area
    need = args.get("need") or ""
    if need and need not in CATEGORIES:
        query.errors["need"] = messages["need"]
    else:
        query.need = need
    query.open_now = args.get("open") == "1"
    return query


# Shown under the National Domestic Abuse Helpline on the home and help-for-myself pages: men and
# LGBT+ people may not think that helpline is for them. The numbers come from these listings, so
# the pages and the directory never disagree.
ALSO_CALL = ("mens-advice-line", "galop")


def also_call(docs: list[dict]) -> list[tuple[str, str]]:
    """(name, phone number) of each ALSO_CALL listing that is published and has a phone number."""
    by_slug = {doc["slug"]: doc for doc in docs}
    found = []
    for slug in ALSO_CALL:
        doc = by_slug.get(slug)
        number = next((c["value"] for c in doc["contacts"] if c["kind"] == "phone"), None) if doc else None
        if number:
            found.append((doc["name"], number))
    return found


@dataclass
class Result:
    national: list
    local: list
    areas: list            # the areas local services were looked up for
    district_unknown: bool  # a district we have no area for
    hidden_unknown_hours: int


def search(docs: list[dict], query: Query, areas: dict[str, Area], moment: datetime) -> Result:
    chosen: list[Area] = []
    if query.district:
        chosen = areas_for_district(areas, query.district)
    elif query.area:
        chosen = [areas[query.area]]
    chosen_ids = {area.id for area in chosen}
    national, local, hidden = [], [], 0
    for doc in sorted(docs, key=ranked):
        if query.need and query.need not in doc["categories"]:
            continue
        is_national = doc["coverage"] == NATIONAL
        if not is_national and not chosen_ids & set(doc["coverage"]):
            continue
        if query.open_now:
            state = opening_hours.is_open(opening_hours.parse(doc["hours"]), moment)
            if state is None:
                hidden += 1
                continue
            if not state:
                continue
        (national if is_national else local).append(doc)
    return Result(national, local, chosen, bool(query.district and not chosen), hidden)


@dataclass(frozen=True)
class Contact:
    kind: str
    kind_label: str
    value: str
    label: str
    href: str
    hours_always: bool = False
    hours_lines: tuple = ()


@dataclass(frozen=True)
class ListingView:
    slug: str
    name: str
    summary: str
    summary_translated: bool
    description: Markup
    categories: list[str]
    contacts: list[Contact]
    hours_always: bool
    hours_lines: list[tuple[str, str]]
    hours_known: bool
    open_now: bool | None
    languages: list[str]
    only_english: bool      # English and nothing else: the compact card need not say so
    access: list[str]
    last_verified: object
    to_verify: list[str]


def _href(kind: str, value: str) -> str:
    if kind == "phone":
        return f"tel:{tel_digits(value)}"
    if kind == "text":
        return f"sms:{tel_digits(value)}"
    if kind == "email":
        return f"mailto:{value}"
    return value


def _contact(contact: dict, day_names, span) -> Contact:
    spec = opening_hours.parse(contact.get("hours"))
    return Contact(contact["kind"], str(CONTACT_KINDS[contact["kind"]]), contact["value"], contact.get("label", ""),
                   _href(contact["kind"], contact["value"]), bool(spec and spec.always),
                   tuple(opening_hours.describe(spec, day_names, span)) if spec and not spec.always else ())


def presenter(locale: str, moment: datetime):
    """present() for one reader: day names and "Monday to Friday" in their language."""
    day_names = [get_day_names("wide", locale=locale)[day] for day in range(7)]

    def span(first, last):
        return gettext("%(first)s to %(last)s", first=first, last=last)

    return lambda doc: present(doc, locale, moment, day_names, span)


def present(doc: dict, locale: str, moment: datetime, day_names: list[str], span) -> ListingView:
    """The listing for a reader in `locale`: the summary in their language when someone has
    translated it, otherwise in English (the template marks it so)."""
    translated = (doc.get("translations") or {}).get(locale, {}).get("summary")
    spec = opening_hours.parse(doc["hours"])
    return ListingView(
        slug=doc["slug"],
        name=doc["name"],
        summary=translated or doc["summary"],
        summary_translated=bool(translated) or locale == "en",
        description=render_description(doc.get("description", "")),
        categories=[str(CATEGORIES[c]) for c in doc["categories"]],
        contacts=[_contact(c, day_names, span) for c in doc["contacts"]],
        hours_always=bool(spec and spec.always),
        hours_lines=opening_hours.describe(spec, day_names, span) if spec and not spec.always else [],
        hours_known=spec is not None,
        open_now=opening_hours.is_open(spec, moment),
        languages=[name for code in doc.get("languages", []) if (name := language_name(code, locale))],
        only_english=list(doc.get("languages", [])) in ([], ["en"]),
        access=[str(ACCESS[a]) for a in doc.get("access", [])],
        last_verified=doc.get("last_verified"),
        to_verify=list(doc.get("to_verify", [])),
    )
