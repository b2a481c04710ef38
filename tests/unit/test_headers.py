"""Safety headers on every response: every route in the URL map, errors included."""
from __future__ import annotations

import pytest

from haven import create_app
from tests.helpers import production_environ

# Pages that set the session cookie (a form's CSRF token; a referral link remembered through sign-in).
FORMS = {"public.self_referral", "public.concern", "staff.sign_in", "staff.referral"}
SAMPLE_ARGS = {"locale": "en", "slug": "privacy", "filename": "css/haven.css", "token": "not-a-real-token",
               "user_id": 1, "session_id": 1, "change": "disable", "listing_id": 1, "number": 1, "reference": "HV-ZZZZZ",
               "round_id": 1}


def every_url(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            yield rule.endpoint, rule.build({k: SAMPLE_ARGS[k] for k in rule.arguments})[1]


def assert_safety_headers(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    for feature in ("geolocation=()", "camera=()", "microphone=()"):
        assert feature in headers["Permissions-Policy"]
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_every_route_sends_the_safety_headers_and_no_cookie(app, client):
    urls = dict(every_url(app))
    assert {"public.home", "public.page", "public.exit_site", "public.root", "static"} <= set(urls)
    for endpoint, url in urls.items():
        response = client.get(url)
        # A token's own pages: a made-up token is their 404 (a feedback link: only under a policy that asks).
        assert response.status_code < 400 or endpoint in ("staff.setup", "public.feedback_form"), url
        assert_safety_headers(response)
        cookies = response.headers.getlist("Set-Cookie")
        if endpoint in FORMS:
            # A form needs the session cookie for its CSRF token: it must end with the browser.
            # (only the first form visited sets it; the next one reuses it)
            assert all("HttpOnly" in c and "Expires" not in c and "Max-Age" not in c for c in cookies)
        elif endpoint != "public.exit_site":
            assert not cookies, f"{url} set a cookie"
        if endpoint == "public.feedback_form":  # the token in its address must not leave in a Referer
            assert response.headers["Referrer-Policy"] == "no-referrer"
        elif endpoint != "public.exit_site":
            assert response.headers["Referrer-Policy"] == "same-origin"


def test_error_responses_send_the_safety_headers(client):
    assert_safety_headers(client.get("/en/no-such-page"))
    assert_safety_headers(client.post("/en/"))


def test_production_adds_hsts_and_secure_cookies(monkeypatch, test_config):
    for name, value in production_environ(DATABASE_URL=test_config["DATABASE_URL"]).items():
        monkeypatch.setenv(name, value)
    app = create_app({"INSTANCE_PATH": test_config["INSTANCE_PATH"]})
    client = app.test_client()
    response = client.get("/en/", base_url="https://haven.example")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    exit_cookie = client.get("/exit", base_url="https://haven.example").headers["Set-Cookie"]
    assert "Secure" in exit_cookie and "HttpOnly" in exit_cookie and "SameSite=Lax" in exit_cookie
    assert "Expires=Thu, 01 Jan 1970" in exit_cookie
    # Plain HTTP is sent to HTTPS in production, even for a page already rendered and kept.
    for path in ("/en/", "/en/privacy", "/en/support-services"):
        assert client.get(path, base_url="https://haven.example").status_code == 200
        plain = client.get(path, base_url="http://haven.example")
        assert plain.status_code in (301, 302)
        assert plain.headers["Location"] == f"https://haven.example{path}"


@pytest.mark.parametrize("path", ["/en/", "/ar/privacy", "/exit", "/static/js/exit.js"])
def test_no_response_can_be_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_lax_and_ends_with_the_browser(app):
    from flask import session

    @app.get("/_probe/session")
    def remember():
        session["seen"] = True
        return "ok"

    cookie = app.test_client().get("/_probe/session").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_public_form_tells_the_browser_not_to_keep_answers(client, locale):
    """autocomplete="off" on the form itself is what stops Chromium restoring radios, checkboxes
    and text after Exit then Back (the browser test in test_nothing_left_behind proves it)."""
    import re

    from tests.helpers import public_paths

    seen = 0
    for path in public_paths(locale):
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form\b[^>]*>", html):
            seen += 1
            assert 'autocomplete="off"' in form, f"{path}: {form}"
    assert seen >= 3


def test_every_field_a_person_types_into_says_autocomplete_off(client):
    """Field by field too, for browsers that ignore the form's attribute on some controls."""
    import re

    from tests.unit.test_referrals import FORM, good_answers, hidden, open_form, send_more

    pages = [client.get(path).get_data(as_text=True) for path in (FORM, "/en/tell-us-about-someone")]
    html = client.post(FORM, data={**open_form(client), **good_answers()}).get_data(as_text=True)
    for _ in range(3):
        pages.append(html)
        if 'name="more_token"' not in html:
            break
        html = send_more(client, html).get_data(as_text=True)
    assert len(pages) == 5 and hidden(pages[2], "step") == "situation"
    typed = 0
    for page in pages:
        for field in re.findall(r"<(?:input|textarea)\b[^>]*>", page):
            if re.search(r'type="(hidden|radio|checkbox|submit)"', field):
                continue
            typed += 1
            assert 'autocomplete="off"' in field, field
    assert typed >= 15
