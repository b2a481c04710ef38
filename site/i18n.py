"""The six locales, their direction, the /<locale>/ URL prefix and the language switcher."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context, request, url_for
from flask_babel import format_decimal, ngettext
from werkzeug.routing import BaseConverter


@dataclass(frozen=True)
class Locale:
    code: str
    native_name: str
    direction: str = "ltr"


LOCALES = {
    locale.code: locale
    for locale in (
        Locale("en", "English"),
        Locale("pl", "Polski"),
        Locale("ro", "Română"),
        Locale("pa", "ਪੰਜਾਬੀ"),
        Locale("ur", "اردو", "rtl"),
        Locale("ar", "العربية", "rtl"),
    )
}
DEFAULT_LOCALE = "en"


class LocaleConverter(BaseConverter):
    """Matches only the locales Haven has, so /xx/ is a 404, not a page in no language."""

    regex = "(?:" + "|".join(LOCALES) + ")"


def locale_from_path(path: str) -> str | None:
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in LOCALES else None


def select_locale() -> str:
    """The URL decides; outside a localised URL (the root, errors) the browser's languages do.
    Outside a request (a command) and on staff pages it is English."""
    if not has_request_context() or request.path.startswith("/staff"):
        # The staff pages are written in English only (the listings editor is translated).
        return DEFAULT_LOCALE
    if request.view_args and request.view_args.get("locale") in LOCALES:
        return request.view_args["locale"]
    from_path = locale_from_path(request.path)
    if from_path:
        return from_path
    return request.accept_languages.best_match(list(LOCALES), DEFAULT_LOCALE)


def current_locale() -> Locale:
    return LOCALES[select_locale()]


def switcher_links() -> list[tuple[Locale, str, bool]]:
    """Each language with a link to this same page in it, or to its home page if this page has no
    locale (an error page, say)."""
    current = select_locale()
    args = dict(request.view_args or {})
    links = []
    for code, locale in LOCALES.items():
        if request.endpoint and "locale" in args:
            href = url_for(request.endpoint, **{**args, "locale": code})
        else:
            href = url_for("public.home", locale=code)
        links.append((locale, href, code == current))
    return links


def response_time(targets, priority: str) -> str:
    """How long the response target is, in the current language ("4 hours", "1 working day"):
    data each language shapes with its own plural forms, never an English phrase dropped in."""
    if priority == "urgent":
        count = targets.urgent_hours
        return ngettext("%(count)s hour", "%(count)s hours", count, count=format_decimal(count))
    count = targets.standard_working_days
    return ngettext("%(count)s working day", "%(count)s working days", count, count=format_decimal(count))


def weeks(count: int) -> str:
    """A number of weeks in the current language ("4 weeks"), for the emergency-transfer promise."""
    return ngettext("%(count)s week", "%(count)s weeks", count, count=format_decimal(count))


def init_app(app) -> None:
    app.url_map.converters["locale"] = LocaleConverter

    @app.url_defaults
    def _keep_locale(endpoint, values):
        if "locale" not in values and app.url_map.is_endpoint_expecting(endpoint, "locale"):
            values["locale"] = getattr(g, "locale", None) or select_locale()

    @app.before_request
    def _remember_locale():
        g.locale = select_locale()

    @app.context_processor
    def _locale_context():
        return {"current_locale": current_locale(), "switcher_links": switcher_links,
                "response_time": response_time, "team_hours": _team_hours}

    def _team_hours():
        from .services.hours import in_words

        return in_words(app.extensions["haven_profile"].opening_hours, select_locale())
