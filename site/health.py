"""GET /healthz for the load balancer: 200 "ok", or 503 and the reason's one word."""
from __future__ import annotations

from flask import Blueprint, make_response

from . import db
from .security.headers import served_over_plain_http
from .services import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@served_over_plain_http
def healthz():
    # Touches no session and says nothing but the word: it is open to anyone who finds it.
    reason = health.problem(db.engine())
    response = make_response(f"{reason or 'ok'}\n", 503 if reason else 200)
    response.mimetype = "text/plain"
    return response
