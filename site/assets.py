"""Stylesheets and scripts served minified, and templates without their indentation.

The files in static/ keep their comments (they say why); people on a poor connection get them
without, minified once per process by rcssmin and rjsmin. Debug mode serves the sources as they
are, so an edit shows at once. Everything else in static/ is served by Flask as usual.

Templates are indented for the people who read them; Unindent drops the spaces at the start of
each line as a template is compiled, so a page's HTML does not carry them. A line break stays, so
words never join; no template holds literal text in a <pre> or <textarea> that indentation would
change (their content comes from variables, which are untouched).
"""
from __future__ import annotations

from pathlib import Path

import rcssmin
import rjsmin
from flask import Flask, Response, abort
from jinja2.ext import Extension
from werkzeug.security import safe_join

MINIFIERS = {
    ".css": (rcssmin.cssmin, "text/css"),
    ".js": (rjsmin.jsmin, "text/javascript"),
}


class Unindent(Extension):
    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return "\n".join(line.lstrip(" \t") for line in source.split("\n"))


def init_app(app: Flask) -> None:
    serve_as_is = app.view_functions["static"]
    minified: dict[str, bytes] = {}

    def static(filename: str):
        kind = MINIFIERS.get(Path(filename).suffix)
        if kind is None or app.debug:
            return serve_as_is(filename=filename)
        body = minified.get(filename)
        if body is None:
            path = safe_join(app.static_folder, filename)
            if path is None or not Path(path).is_file():
                abort(404)
            minify, _ = kind
            body = minified[filename] = minify(Path(path).read_text(encoding="utf-8")).encode("utf-8")
        return Response(body, mimetype=kind[1])

    app.view_functions["static"] = static
