"""Fault drills: real Haven processes (gunicorn) and a real Redis (Debian's redis-server), each on
a free port of 127.0.0.1, started by the test and stopped by it whatever the outcome, with bounded
waits. The processes share the test database (the SQLite file, or HAVEN_TEST_DATABASE's PostgreSQL)
and the test app's keys, so the test can set up accounts and listings and then read what the
processes wrote."""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, process: subprocess.Popen, what: str, seconds: float = START_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not start within {seconds} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Redis:
    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(self._answers, self.process, "redis-server")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        _stop(self.process)


@pytest.fixture
def redis_server(tmp_path):
    """A Redis of the test's own, on a free port; .stop() stops it early (the drill of Redis down)."""
    server = Redis(tmp_path)
    yield server
    server.stop()


class Haven:
    """One gunicorn process serving Haven (one worker, so its log is one process's)."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "haven:create_app()"], env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            _wait_for(self._answers, self.process, "haven under gunicorn")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/favicon.ico")
            return connection.getresponse().status == 204
        except OSError:
            return False

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        _stop(self.process)
        self._log.close()


@pytest.fixture
def haven_process(app, tmp_path):
    """start(**environment) serves Haven on a free port with the test app's database, secret and keys."""
    started = []

    def start(**environment) -> Haven:
        env = {key: value for key, value in os.environ.items() if not key.startswith("HAVEN_")}
        env.update({
            "HAVEN_ENV": "development", "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"],
            "HAVEN_INSTANCE_PATH": app.instance_path, "HAVEN_CONTENT_DIR": str(app.config["CONTENT_DIR"]),
            "HAVEN_MIN_FILL_SECONDS": "0", "SMTP_PORT": "1",
            **environment,
        })
        process = Haven(env, tmp_path / f"haven-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


class Browser:
    """What a browser keeps between requests (its cookies, for 127.0.0.1 whatever the port), and no more."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return response.status, response.headers, text

    def get(self, port: int, path: str):
        return self.request(port, "GET", path)

    def hidden(self, port: int, path: str, *names: str) -> dict:
        """The hidden fields a page's form carries (its CSRF token, the form's one-time token)."""
        _, _, html = self.get(port, path)
        return {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1) for name in names}

    def post(self, port: int, path: str, form: dict, page: str | None = None):
        """Send a form as a person would: open its page first, for the tokens it carries."""
        fields = self.hidden(port, page or path, "csrf_token")
        return self.request(port, "POST", path, {**fields, **form})


def send_self_referral(port: int):
    """The self-referral's first page sent by a new visitor: (status, page)."""
    browser = Browser()
    fields = browser.hidden(port, "/en/ask-for-help/form", "csrf_token", "token")
    status, _, html = browser.request(port, "POST", "/en/ask-for-help/form",
                                      {**fields, "preferred": "office", "consent": "y"})
    return status, html


def staff_sign_in(browser: Browser, port: int, email: str, secret: str) -> None:
    from tests.helpers import PASSWORD, code_at

    status, headers, _ = browser.post(port, "/staff/sign-in", {"email": email, "password": PASSWORD})
    assert status == 303 and headers["Location"].endswith("/staff/sign-in/code")
    status, _, _ = browser.post(port, "/staff/sign-in/code", {"code": code_at(secret, datetime.now(timezone.utc))})
    assert status == 303, "the code was refused"
