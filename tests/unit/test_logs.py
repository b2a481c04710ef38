"""Logs: one JSON object per line in production, one line per request with its route name, method,
status, duration and request id; and nothing a person typed, in any field or any URL, in any line."""
from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from urllib.parse import quote

import pytest

from haven import logs
from tests.helpers import (CANARY, CANARY_EMAIL, CONCERN, CONCERN_ANSWERS, FORM, MORE, PERSONAL, SELF_FIRST_PAGE,
                           SELF_MORE, T0, WM, csrf, html, open_form, post, send_referral, use_profile)

FORMAT = logs.json_formatter()
SECRETS = [value.lower() for value in PERSONAL + [CANARY_EMAIL]]


class Requests:
    """Sends one request at a time, and checks every log record it caused at DEBUG and above, as
    production writes them (JSON): one request line, with the route named by hand, and no secret."""

    def __init__(self, caplog):
        self.caplog = caplog
        self.secrets = list(SECRETS)
        self.seen: list[tuple[str, str, int]] = []

    def send(self, route: str, method: str, url: str, client, /, **data):
        self.caplog.clear()
        response = client.open(url, method=method, data=data or None)
        lines = [FORMAT.format(record) for record in self.caplog.records]
        for line in lines:
            assert not [secret for secret in self.secrets if secret in line.lower()], line
        requests = [record for record in map(json.loads, lines) if record["logger"] == logs.REQUEST_LOGGER]
        assert [(r["route"], r["method"], r["status"]) for r in requests] == [(route, method, response.status_code)]
        assert isinstance(requests[0]["duration_ms"], float) and requests[0]["duration_ms"] >= 0
        assert len(requests[0]["request_id"]) == 32
        self.seen.append((route, method, response.status_code))
        return response


@pytest.fixture
def requests(caplog):
    caplog.set_level(logging.DEBUG)
    # Werkzeug's own request lines carry the URL; were they to run, they must be caught too.
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    return Requests(caplog)


def test_every_form_and_route_that_takes_input_logs_its_route_but_nothing_typed(app, client, worker, requests):
    # The self-referral's first page and each optional page, as in test_referrals.
    page = requests.send("public.self_referral", "POST", FORM, client, **open_form(client), **SELF_FIRST_PAGE)
    assert page.status_code == 200
    for answers in SELF_MORE:
        fields = {"more_token": _hidden(page, "more_token"), "step": _hidden(page, "step"), **answers}
        page = requests.send("public.self_referral_more", "POST", MORE, client, **fields)
        assert page.status_code == 200
    # The same page refused: every field the canary, so the answers go back into the page shown.
    refused = {name: CANARY for name in ("preferred", "phone", "email", "address", "someone_else", "voicemail")}
    shown = requests.send("public.self_referral", "POST", FORM, client, **open_form(client), **refused)
    assert html(shown).select_one(".error-summary") is not None and CANARY in shown.get_data(as_text=True)
    # The hidden trap field, which only scripts fill in.
    requests.send("public.self_referral", "POST", FORM, client, **open_form(client), **SELF_FIRST_PAGE, website=CANARY)
    requests.send("public.concern", "POST", CONCERN, client, **open_form(client, CONCERN), **CONCERN_ANSWERS)
    # The directory's GET form: a postcode, an area and a need, as typed into the address bar.
    query = "&".join(f"{name}={quote(CANARY)}" for name in ("district", "area", "need", "open"))
    requests.send("public.support_services", "GET", f"/en/support-services?{query}", client)
    requests.secrets.append("7pq")  # a whole postcode: only its district may be kept, and not in a log
    requests.send("public.support_services", "GET", f"/en/support-services?district={quote('WS1 7PQ')}", client)
    # Addresses that are themselves typed: an information page, and no page at all.
    requests.send("public.page", "GET", f"/en/{quote(CANARY)}", client)
    requests.send("unmatched", "GET", f"/{quote(CANARY)}/{quote(CANARY)}?q={quote(CANARY)}", client)
    # Staff sign-in: the email address and the password.
    staff = app.test_client()
    requests.send("staff.sign_in", "POST", "/staff/sign-in", staff,
                  csrf_token=csrf(staff, "/staff/sign-in"), email=CANARY_EMAIL, password=CANARY)

    # The feedback form after closure (WM 5.1): its token is a secret as well as its comment.
    use_profile(app, WM)
    reference = send_referral(app, at=T0 - timedelta(hours=1))
    assert post(worker, reference, "close", outcome="advice", agreed="yes").status_code == 303
    shown = html(post(worker, reference, "feedback-link")).select_one("[data-feedback-link]").get_text(strip=True)
    path = shown.split("5000", 1)[1]
    requests.secrets.append(path.rsplit("/", 1)[1].lower())
    requests.send("public.feedback_form", "GET", path, client)
    sent = requests.send("public.feedback_form", "POST", path, client,
                         satisfaction="4", felt_safe="yes", comment=CANARY)
    assert sent.status_code == 200

    # Every route that takes what a person types, by hand.
    assert {route for route, _, _ in requests.seen} >= {
        "public.self_referral", "public.self_referral_more", "public.concern", "public.support_services",
        "public.feedback_form", "staff.sign_in"}


def _hidden(response, name: str) -> str:
    return html(response).select_one(f'input[name="{name}"]')["value"]


def test_sql_and_its_parameters_are_never_logged():
    # SQLAlchemy logs statements with their parameters (a staff email, a hash) at INFO; production
    # logs at INFO, so its loggers must stay at WARNING (SQLAlchemy's own default, kept).
    assert logging.getLogger("sqlalchemy.engine.Engine").getEffectiveLevel() >= logging.WARNING


def test_production_writes_each_record_as_one_json_object_per_line(app, client):
    out = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers), root.level
    logs.configure(stream=out)
    try:
        client.get("/en/")
        logging.getLogger("haven.example").warning("two\nlines")
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    request = next(r for r in records if r["logger"] == "haven.request")
    assert {key: request[key] for key in ("level", "message", "route", "method", "status")} == {
        "level": "INFO", "message": "request", "route": "public.home", "method": "GET", "status": 200}
    assert "time" in request and "/en/" not in json.dumps(request)
    assert records[-1]["message"] == "two\nlines" and records[-1]["level"] == "WARNING"


@pytest.mark.parametrize("message, args, kept", [
    ("Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'GET /en/support-services?district=WS1 7PQ'",
     None, "Invalid request"),
    ("Error handling request %s %s", ("GET", "/en/support-services?district=WS1%207PQ"), "Error handling request"),
    ("Booting worker with pid: %s", (4242,), "Booting worker with pid: 4242"),
])
def test_gunicorns_own_lines_about_a_request_lose_its_url_and_address(message, args, kept):
    record = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, message, args, None)
    assert logs.GunicornRequestLines().filter(record) is True
    assert record.getMessage() == kept
