"""Haven's logs: one line per request, and in production one JSON object per line.

A request's line says which route answered (the endpoint's name, never the URL: a query string
or a token in a path could carry what someone typed), the method, the status, how long it took in
milliseconds and a request id, and nothing else about the request: no address, no header, no
form field. gunicorn's own access log stays off (gunicorn.conf.py), so this is the only one.
(Werkzeug's development server, `flask run`, writes its own lines with the URL; it never serves
production, and its logger is left alone: the browser tests read it.)
"""
from __future__ import annotations

import logging
import sys
import time
import uuid

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_LOGGER = "haven.request"
# A client may send any word as its method; only these are written as they are.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def json_formatter() -> JsonFormatter:
    """The one format of every production line, Haven's and gunicorn's (gunicorn.conf.py)."""
    return JsonFormatter("{asctime}{levelname}{name}{message}", style="{",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})


class GunicornRequestLines(logging.Filter):
    """gunicorn's own messages that quote a request (a request line it could not read, a request
    whose handling failed) lose the quote and the client's address: they say what happened, and
    the URL, query and all, stays out (gunicorn.conf.py sets this filter on gunicorn.error)."""

    QUOTING = ("Invalid request from ip=", "Error handling request")

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        for start in self.QUOTING:
            if message.startswith(start):
                record.msg, record.args = start.split(" from")[0], ()
        return True


class _Stderr(logging.StreamHandler):
    # The standard library's lastResort handler does the same: look sys.stderr up at each line, so
    # a stream that was replaced since (gunicorn's daemon, pytest's capture) is never written to.
    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure(stream=None) -> None:
    """JSON lines at INFO on the root logger. Once: when gunicorn.conf.py has put a JSON handler
    there already, or an earlier app did, nothing is added (a second would double every line)."""
    root = logging.getLogger()
    if stream is None and any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        return
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(json_formatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    if app.config["PRODUCTION"]:
        configure()
    logger = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        # Haven's own, never a client's header: a header could carry anything at all.
        g.request_id = uuid.uuid4().hex

    # Registered before every other after_request hook, so it runs last and times them too.
    @app.after_request
    def _log(response):
        started = g.get("request_started")
        logger.info("request", extra={
            "request_id": g.get("request_id", ""),
            "route": request.endpoint or "unmatched",
            "method": request.method if request.method in METHODS else "other",
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        })
        return response
