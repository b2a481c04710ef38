"""A live Haven server and Debian's Chromium, driven by Playwright.

Every request the browser makes to anything but the live server is recorded and refused, so a page
that tries to load a third-party resource fails its test, and no request leaves the machine.

The neutral exit destination is a stub on a second local origin (localhost rather than 127.0.0.1,
same server). It cannot be stubbed by request interception alone: when /exit's Clear-Site-Data has
cookies to clear, Chromium follows the redirect outside Playwright's interception, and the request
would leave for the real site.
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Blueprint, request
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from haven import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NEUTRAL_PATH = "/_neutral/weather"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class NeutralSite:
    """The stand-in for the exit destination, remembering what each visit told it."""

    def __init__(self):
        self.visits: list[dict] = []
        self.url = ""
        self.app = None  # the live Haven app, for tests that change its settings


@pytest.fixture(scope="session")
def neutral_site():
    return NeutralSite()


@pytest.fixture(scope="session")
def live_server(test_config, neutral_site):
    app = create_app(dict(test_config))
    stub = Blueprint("neutral_stub", __name__)

    @stub.get(NEUTRAL_PATH)
    def weather():
        neutral_site.visits.append({"headers": dict(request.headers), "at": time.monotonic()})
        return "<!doctype html><html lang=en><title>Weather</title><h1>Weather</h1></html>"

    app.register_blueprint(stub)
    neutral_site.app = app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    neutral_site.url = f"http://localhost:{server.server_port}{NEUTRAL_PATH}"
    app.extensions["haven_profile"] = replace(app.extensions["haven_profile"],
                                              exit_destination=neutral_site.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_app(live_server, neutral_site):
    return neutral_site.app


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OffSiteRequests(list):
    """Requests the page tried to make to another origin (the exit destination excepted)."""


def _open_context(browser, live_server, **options):
    context = browser.new_context(**options)
    attempted = OffSiteRequests()
    port = urlsplit(live_server).port
    local = {f"127.0.0.1:{port}", f"localhost:{port}"}

    def guard(route):
        url = route.request.url
        if urlsplit(url).netloc in local:
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    context.route("**/*", guard)
    context.off_site = attempted
    return context


@pytest.fixture
def context(browser, live_server):
    context = _open_context(browser, live_server, viewport={"width": 1280, "height": 900})
    yield context
    assert context.off_site == [], "the page tried to reach another site"
    context.close()


@pytest.fixture
def no_js_context(browser, live_server):
    context = _open_context(browser, live_server, java_script_enabled=False,
                            viewport={"width": 1280, "height": 900})
    yield context
    assert context.off_site == []
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def open_context(browser, live_server):
    """For tests that need their own viewport or options; each context is checked and closed."""
    opened = []

    def _open(**options):
        context = _open_context(browser, live_server, **options)
        opened.append(context)
        return context

    yield _open
    for context in opened:
        assert context.off_site == []
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
