"""The production entry point (haven.wsgi) fails closed: production even when HAVEN_ENV is unset,
and no start, with one line on stderr, while anything the public must not be served without is
missing. Under gunicorn with gunicorn.conf.py, a full configuration starts and logs only JSON."""
from __future__ import annotations

import json
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import gunicorn
import pytest

from haven import config
from haven.i18n import LOCALES
from tests.helpers import confirmed_content, production_environ, send_referral

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REFUSAL = "haven: refusing to start: "
# Nothing answers here: each refusal below but the last comes before anything touches the database.
NOWHERE = "postgresql://haven:x@127.0.0.1:1/haven"


@pytest.fixture(scope="module")
def launch_content(tmp_path_factory) -> Path:
    return confirmed_content(tmp_path_factory.mktemp("launch") / "content")


def serving_environ(content_dir: Path, **changes) -> dict[str, str]:
    """This process's environment less every Haven setting, then a full production configuration
    without HAVEN_ENV (the entry point must not need it); `changes` replace or (None) remove."""
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("HAVEN_", "SMTP_")) and key not in ("SECRET_KEY", "DATABASE_URL", "WEB_CONCURRENCY")}
    settings = production_environ(HAVEN_ENV=None, DATABASE_URL=NOWHERE, HAVEN_PUBLIC_URL="https://haven.example.org",
                                  WEB_CONCURRENCY="1", HAVEN_CONTENT_DIR=str(content_dir))
    settings.update(changes)
    return {**base, **{key: value for key, value in settings.items() if value is not None}}


def start_entry_point(environ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import haven.wsgi"], env=environ, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def assert_refuses(environ, reason: str) -> None:
    result = start_entry_point(environ)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [REFUSAL + reason]


# One per missing thing; each reason written out as the operator reads it.
@pytest.mark.parametrize("changes, reason", [
    ({"SECRET_KEY": None}, "SECRET_KEY must be set to at least 32 random characters in production"),
    ({"HAVEN_DATA_KEYS": None}, "HAVEN_DATA_KEYS must be set in production (see `flask --app haven keys new`)"),
    ({"DATABASE_URL": None}, "DATABASE_URL must be set in production (PostgreSQL)"),
    ({"DATABASE_URL": "sqlite:////var/lib/haven/haven.sqlite3"},
     "DATABASE_URL must be a PostgreSQL URL (postgresql://...) in production, not sqlite"),
    ({"HAVEN_PUBLIC_URL": None}, "HAVEN_PUBLIC_URL must be set to Haven's https:// address in production"),
    ({"HAVEN_PUBLIC_URL": "http://haven.example.org"},
     "HAVEN_PUBLIC_URL must be set to Haven's https:// address in production"),
    ({"WEB_CONCURRENCY": "4"}, "HAVEN_RATELIMIT_STORAGE_URI must be a redis:// URL when 4 processes serve "
                               "(WEB_CONCURRENCY); memory:// keeps a separate count in each"),
    # gunicorn.conf.py starts one process more than the host has cores, and at least two, when
    # WEB_CONCURRENCY is not set.
    ({"WEB_CONCURRENCY": None}, f"HAVEN_RATELIMIT_STORAGE_URI must be a redis:// URL when {max(2, os.cpu_count() + 1)} "
                                "processes serve (WEB_CONCURRENCY); memory:// keeps a separate count in each"),
    ({"HAVEN_ENV": "development"}, "HAVEN_ENV is 'development', but haven.wsgi serves production only "
                                   "(leave HAVEN_ENV unset, or use `flask run` for development)"),
    # Everything set, but nothing answers at the database's address.
    ({}, "cannot read the published listings (OperationalError): is the database reachable, and "
         "`flask --app haven db upgrade` run?"),
], ids=["secret", "data-keys", "no-database", "sqlite", "no-https-url", "http-url", "redis", "redis-by-default",
        "development", "database-down"])
def test_the_entry_point_refuses_with_one_line(launch_content, changes, reason):
    assert_refuses(serving_environ(launch_content, **changes), reason)


def test_several_processes_sharing_redis_are_accepted(launch_content):
    environ = production_environ(HAVEN_PUBLIC_URL="https://haven.example.org", WEB_CONCURRENCY="4",
                                 HAVEN_RATELIMIT_STORAGE_URI="redis://10.0.0.5:6379/0")
    assert config.serving_settings({**environ, "HAVEN_ENV": "production"})["PRODUCTION"] is True
    environ.pop("HAVEN_ENV")
    assert config.serving_settings(environ)["PRODUCTION"] is True


def gunicorn_settings(monkeypatch, **environ) -> dict:
    """What gunicorn reads from gunicorn.conf.py (it runs the file as Python) in this environment."""
    for name in ("WEB_CONCURRENCY", "HAVEN_THREADS"):
        # Set first, so the test's end restores it: the file sets WEB_CONCURRENCY for haven.wsgi.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_each_process_serves_one_request_at_a_time_and_there_is_one_more_than_the_cores(monkeypatch):
    # A threaded process takes connections it has no free thread for, while another process may
    # stand idle; one request at a time, each process takes the next only when it is free.
    settings = gunicorn_settings(monkeypatch)
    assert (settings["worker_class"], settings["threads"]) == ("sync", 1)
    assert settings["workers"] == max(2, os.cpu_count() + 1)
    assert gunicorn_settings(monkeypatch, WEB_CONCURRENCY="5")["workers"] == 5


def test_threads_are_there_for_a_host_with_no_buffering_proxy(monkeypatch):
    settings = gunicorn_settings(monkeypatch, HAVEN_THREADS="4")
    assert (settings["worker_class"], settings["threads"]) == ("gthread", 4)


def test_content_with_placeholders_is_refused():
    with pytest.raises(config.ConfigError, match=r"^the content is not ready \(\d+ to do, first: .*\); "
                                                 r"run `flask --app haven content check`$"):
        config.check_content(ROOT / "content", {}, LOCALES)


def test_confirmed_content_passes_but_not_a_published_listing_left_unchecked(launch_content):
    config.check_content(launch_content, {}, LOCALES)
    unchecked = {"slug": "local-refuge", "state": "published", "last_verified": None, "verify_every_days": 90,
                 "to_verify": []}
    with pytest.raises(config.ConfigError, match="listing local-refuge: never checked"):
        config.check_content(launch_content, {"local-refuge": unchecked}, LOCALES)


def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the production entry point refuses SQLite (test_the_entry_point_refuses_with_one_line); "
                    "it starts only on PostgreSQL, which `make test`'s PostgreSQL pass provides")


def test_the_entry_point_refuses_content_awaiting_the_organisation(app, database_url):
    postgresql_only(database_url)
    result = start_entry_point(serving_environ(ROOT / "content", DATABASE_URL=database_url))
    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(REFUSAL + "the content is not ready (")


def test_the_entry_point_refuses_while_a_stored_value_uses_a_key_it_was_not_given(app, database_url, launch_content):
    postgresql_only(database_url)
    send_referral(app)  # sealed with the test app's key, which production's HAVEN_DATA_KEYS lacks
    assert app.extensions["haven_keyring"].keys[0][0] != "k1"
    result = start_entry_point(serving_environ(launch_content, DATABASE_URL=database_url))
    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(REFUSAL + "stored values use key id(s) ")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


@pytest.fixture
def gunicorn_server(app, database_url, launch_content, tmp_path):
    """gunicorn -c gunicorn.conf.py haven.wsgi:app on a free port: one process (WEB_CONCURRENCY=1;
    two would need Redis for the limits), PostgreSQL, confirmed content. Stopped whatever happens."""
    postgresql_only(database_url)
    port = free_port()
    environ = serving_environ(launch_content, DATABASE_URL=database_url, HAVEN_BIND=f"127.0.0.1:{port}")
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "haven.wsgi:app"], cwd=ROOT, env=environ,
                                  stdout=stderr, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not answer: {log.read_text()}")
        yield base, server, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def test_a_full_production_configuration_starts_under_gunicorn_and_logs_only_json(gunicorn_server):
    base, server, log = gunicorn_server
    status, body, headers = get(f"{base}/healthz")
    assert (status, body.strip(), headers["Cache-Control"]) == (200, "ok", "no-store")
    # Behind the HTTPS proxy (127.0.0.1 is in forwarded_allow_ips): a page, and a filter whose
    # query carries a canary that no log line may repeat.
    assert get(f"{base}/en/", **{"X-Forwarded-Proto": "https"})[0] == 200
    status, _, _ = get(f"{base}/en/support-services?district=CANARY-7f3a9&need=CANARY-7f3a9",
                       **{"X-Forwarded-Proto": "https"})
    assert status in (200, 400)
    # A request line gunicorn cannot read, which its warning would otherwise quote.
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=10) as raw:
        raw.sendall(b"GET /en/?postcode=CANARY-7f3a9\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    server.terminate()
    server.wait(timeout=15)
    lines = log.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line, gunicorn's too, is one JSON object
    assert all("CANARY-7f3a9" not in line for line in lines)
    assert any(record.get("logger", "").startswith("gunicorn") for record in records)
    assert any(r["logger"] == "gunicorn.error" and r["message"] == "Invalid request" for r in records)
    requests = [(r["route"], r["method"], r["status"]) for r in records if r.get("logger") == "haven.request"]
    assert ("health.healthz", "GET", 200) in requests
    assert ("public.home", "GET", 200) in requests
    assert ("public.support_services", "GET", status) in requests
    assert all(isinstance(r["duration_ms"], float) and len(r["request_id"]) == 32
               for r in records if r.get("logger") == "haven.request")


def test_workers_given_on_gunicorns_command_line_are_counted_too(app, database_url, launch_content):
    postgresql_only(database_url)
    environ = serving_environ(launch_content, DATABASE_URL=database_url, HAVEN_BIND=f"127.0.0.1:{free_port()}")
    result = subprocess.run([str(GUNICORN), "-c", "gunicorn.conf.py", "--workers", "3", "haven.wsgi:app"], cwd=ROOT,
                            env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    *before, last = result.stderr.splitlines()
    assert last == REFUSAL + ("HAVEN_RATELIMIT_STORAGE_URI must be a redis:// URL when 3 processes serve "
                              "(WEB_CONCURRENCY); memory:// keeps a separate count in each")
    assert [json.loads(line)["message"] for line in before] == ["Starting gunicorn " + gunicorn.__version__]
