"""Error pages: translated, with the emergency numbers, never a stack trace."""
from __future__ import annotations

import pytest
from flask import Blueprint, abort, request

from haven.extensions import csrf

CODES = [400, 403, 404, 405, 413, 429, 500, 503]


@pytest.fixture
def app(app):
    probe = Blueprint("probe", __name__)

    @probe.get("/<locale:locale>/_probe/<int:code>")
    def fail(locale, code):
        abort(code)

    @probe.get("/<locale:locale>/_probe/crash")
    def crash(locale):
        detail = " ".join(["secret detail", "that must not reach the person"])
        raise RuntimeError(detail)

    @probe.post("/<locale:locale>/_probe/upload")
    def upload(locale):
        return str(len(request.get_data()))

    csrf.exempt(probe)
    app.register_blueprint(probe)
    return app


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("locale", ["en", "ar"])
def test_error_page_is_translated_and_carries_the_emergency_numbers(client, code, locale):
    response = client.get(f"/{locale}/_probe/{code}")
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert 'href="tel:999"' in body and 'href="tel:08082000247"' in body
    assert f'lang="{locale}"' in body
    assert 'href="/exit"' in body
    assert "Traceback" not in body
    if locale == "ar":
        english = client.get(f"/en/_probe/{code}").get_data(as_text=True)
        title = body.split("<h1>")[1].split("</h1>")[0]
        assert title not in english, "the Arabic error page is in Arabic"


def test_an_unexpected_exception_is_a_friendly_500_without_details(client):
    response = client.get("/pl/_probe/crash")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret detail" not in body and "RuntimeError" not in body and "Traceback" not in body
    assert 'lang="pl"' in body


def test_a_request_body_over_the_limit_is_refused_with_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert client.post("/en/_probe/upload", data=b"x" * 100).status_code == 200
    response = client.post("/en/_probe/upload", data=b"x" * (limit + 1))
    assert response.status_code == 413
    assert 'href="tel:999"' in response.get_data(as_text=True)


def test_wrong_method_is_405(client):
    assert client.post("/en/").status_code == 405
    assert client.delete("/exit").status_code == 405


def test_the_log_says_where_it_failed_but_not_the_message(client, caplog):
    client.get("/en/_probe/crash")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and "test_errors.py" in logged
    assert "secret detail" not in logged
