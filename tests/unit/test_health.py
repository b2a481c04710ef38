"""/healthz, for the load balancer: the database answers and its schema is the newest migration;
otherwise 503 and one word. It never sets a cookie and says nothing else."""
from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import text

from haven import create_app, db
from tests.helpers import production_environ

# The newest migration by its file's number (not by asking Alembic, which /healthz itself asks),
# and the first one: a schema left there is behind.
VERSIONS = Path(__file__).resolve().parents[2] / "site" / "migrations" / "versions"
HEAD = max(path.name[:4] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
BEFORE_HEAD = "0001"


def assert_says_only(response, status, word):
    assert response.status_code == status
    assert response.get_data(as_text=True).strip() == word
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthy_is_200_ok_with_no_cookie(client):
    assert_says_only(client.get("/healthz"), 200, "ok")


def test_a_database_that_cannot_be_reached_is_503_database(test_config):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app({**test_config, "DATABASE_URL": f"postgresql://haven:x@127.0.0.1:{port}/haven"})
    assert_says_only(app.test_client().get("/healthz"), 503, "database")


def set_revision(app, revision):
    with app.app_context(), db.engine().begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_schema_behind_the_code_is_503_migrations(app, client):
    with app.app_context(), db.engine().connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    set_revision(app, BEFORE_HEAD)
    try:
        assert_says_only(client.get("/healthz"), 503, "migrations")
    finally:
        set_revision(app, HEAD)
    assert_says_only(client.get("/healthz"), 200, "ok")


def test_production_answers_the_load_balancer_over_plain_http(monkeypatch, test_config):
    # Every other page is sent to HTTPS in production; a health check on the private network is not.
    for name, value in production_environ(DATABASE_URL=test_config["DATABASE_URL"]).items():
        monkeypatch.setenv(name, value)
    app = create_app({"INSTANCE_PATH": test_config["INSTANCE_PATH"]})
    client = app.test_client()
    assert client.get("/en/", base_url="http://10.0.0.7").status_code in (301, 302)
    assert_says_only(client.get("/healthz", base_url="http://10.0.0.7"), 200, "ok")


def test_a_database_with_no_schema_is_503_migrations(tmp_path, test_config):
    app = create_app({**test_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    assert_says_only(app.test_client().get("/healthz"), 503, "migrations")
