"""The listing form. WTForms carries the fields and CSRF; the rules themselves live in
services.listings.validate, so the editor, the seeds and `content check` agree."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, FormField, FieldList, RadioField, SelectField, StringField, TextAreaField

from ..i18n import LOCALES
from ..public.forms import CheckboxesField, HavenForm, options
from ..services.listings import ACCESS, CATEGORIES, CHECKABLE, CONTACT_KINDS, NATIONAL

CONTACT_ROWS = 5


class ContactForm(Form):
    # The rules in services.listings judge the choice, with a message that says what to do.
    kind = SelectField(_l("How"), choices=options(("", _l("(none)")), *CONTACT_KINDS.items()), validate_choice=False)
    value = StringField(_l("Number or address"), render_kw={"dir": "ltr", "spellcheck": "false"})
    label = StringField(_l("Label (optional)"))
    hours = StringField(_l("Hours, if not the service's (optional)"), render_kw={"dir": "ltr", "spellcheck": "false"})


class ListingForm(HavenForm):
    name = StringField(_l("Name"))
    slug = StringField(_l("Short name for the address (optional)"),
                       description=_l("Lower-case letters, numbers and hyphens. Made from the name if left empty. It cannot be changed later."),
                       render_kw={"dir": "ltr", "spellcheck": "false"})
    summary = TextAreaField(_l("Summary"), description=_l("One or two sentences: who the service is for and what it does."),
                            render_kw={"rows": 3})
    description = TextAreaField(_l("Description (optional)"),
                                description=_l("Markdown: **bold**, lists and https:// links. Anything else is removed."),
                                render_kw={"rows": 6})
    categories = CheckboxesField(_l("Kinds of help"), choices=options(*CATEGORIES.items()))
    coverage = RadioField(_l("Where the service helps"), choices=options((NATIONAL, _l("Across the UK (national)")),
                                                                         ("local", _l("In the local areas below"))),
                          default=NATIONAL)
    areas = CheckboxesField(_l("Local areas"), choices=[])
    contacts = FieldList(FormField(ContactForm), min_entries=CONTACT_ROWS, max_entries=CONTACT_ROWS)
    hours = StringField(_l("Opening hours"),
                        description=_l("Like Mon-Fri 09:00-17:00; Sat 10:00-13:00, or 24/7. Leave empty if not known."),
                        render_kw={"dir": "ltr", "spellcheck": "false"})
    languages = StringField(_l("Languages (optional)"), description=_l("Codes separated by commas, like en, pl, ur."),
                            render_kw={"dir": "ltr", "spellcheck": "false"})
    access = CheckboxesField(_l("Access"), choices=options(*ACCESS.items()))
    source = StringField(_l("Checked against"), description=_l("The https:// address of the service's own page with these details."),
                         render_kw={"dir": "ltr", "spellcheck": "false"})
    verify_every_days = StringField(_l("Check again every (days)"), default="180",
                                    render_kw={"inputmode": "numeric"})
    to_verify = CheckboxesField(_l("Details not yet confirmed"), choices=options(*CHECKABLE.items()))

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas.choices = options(*((area.id, area.name) for area in (areas or {}).values()))


TRANSLATED = [code for code in LOCALES if code != "en"]


def translation_field_name(locale: str) -> str:
    return f"summary_{locale}"


for _code in TRANSLATED:
    setattr(ListingForm, translation_field_name(_code),
            TextAreaField(_l("Summary in %(language)s (optional)", language=LOCALES[_code].native_name),
                          render_kw={"rows": 2, "lang": _code, "dir": LOCALES[_code].direction}))


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:80]


def to_data(form: ListingForm, existing: dict | None = None) -> dict:
    """The form's answers as a listing document for services.listings.validate."""
    existing = existing or {}
    return {
        "slug": existing.get("slug") or form.slug.data or slugify(form.name.data),
        "name": form.name.data,
        "summary": form.summary.data,
        "description": form.description.data,
        "categories": form.categories.data or [],
        "coverage": NATIONAL if form.coverage.data == NATIONAL else (form.areas.data or []),
        "contacts": [{"kind": row.form.kind.data, "value": row.form.value.data, "label": row.form.label.data,
                      "hours": row.form.hours.data} for row in form.contacts],
        "hours": form.hours.data,
        "languages": [part.strip() for part in (form.languages.data or "").split(",")],
        "access": form.access.data or [],
        "source": form.source.data,
        "last_verified": existing.get("last_verified"),
        "verify_every_days": form.verify_every_days.data,
        "to_verify": form.to_verify.data or [],
        "translations": {code: {"summary": getattr(form, translation_field_name(code)).data or ""}
                         for code in TRANSLATED},
    }


def from_document(doc: dict) -> dict:
    """Form data (for ListingForm(data=...)) from a stored listing."""
    contacts = [dict(c, label=c.get("label", ""), hours=c.get("hours", "")) for c in doc.get("contacts", [])]
    contacts += [{"kind": "", "value": "", "label": "", "hours": ""}] * (CONTACT_ROWS - len(contacts))
    data = {
        "name": doc["name"], "slug": doc["slug"], "summary": doc["summary"], "description": doc.get("description", ""),
        "categories": doc["categories"], "coverage": NATIONAL if doc["coverage"] == NATIONAL else "local",
        "areas": [] if doc["coverage"] == NATIONAL else doc["coverage"], "contacts": contacts[:CONTACT_ROWS],
        "hours": doc.get("hours", ""), "languages": ", ".join(doc.get("languages", [])), "access": doc.get("access", []),
        "source": doc.get("source", ""), "verify_every_days": str(doc.get("verify_every_days", 180)),
        "to_verify": doc.get("to_verify", []),
    }
    for code in TRANSLATED:
        data[translation_field_name(code)] = (doc.get("translations") or {}).get(code, {}).get("summary", "")
    return data


def attach_errors(form: ListingForm, errors: dict) -> list[tuple[str, str]]:
    """Put each rule's message on its field; (field id, message) pairs for the error summary."""
    items = []
    for key, messages in errors.items():
        if key.startswith("contacts-"):
            row = form.contacts[int(key.split("-")[1])].form
            field = row.hours if key.endswith("-hours") else row.value
        elif key == "coverage":
            field = form.coverage
        else:
            field = getattr(form, key, None) or form.name
        field.errors = [*field.errors, *messages]
        target = field.id + ("-0" if field.type in ("RadioField", "CheckboxesField") else "")
        items += [(target, str(message)) for message in messages]
    return items


class ActionForm(FlaskForm):
    """The buttons on a listing page (publish, retire, checked today, revert): CSRF only."""
