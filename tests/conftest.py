"""Fixtures shared by unit and browser tests.

HAVEN_TEST_DATABASE picks the engine: "sqlite" (default, a file per run) or a PostgreSQL URL
(`make test-postgres` starts a throwaway cluster and passes its URL). Under pytest-xdist each
worker has a database of its own: a file in its own temporary folder, or a PostgreSQL database
named after the worker, made on the cluster the URL names.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from haven import create_app
from haven.db import make_engine, normalise_url
from haven.migrations import upgrade
from haven.models import Base

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"


def _reset_schema(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _worker_database(url: str, worker: str) -> str:
    """A database of this worker's own on the cluster `url` names (tests empty tables between
    them, and two workers emptying one database would empty each other's)."""
    from sqlalchemy.engine import make_url

    given = make_url(url)
    name = f"{given.database}_{worker}"
    engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    choice = os.environ.get("HAVEN_TEST_DATABASE", "sqlite")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if choice == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'haven-test.sqlite3'}"
    elif worker:
        url = _worker_database(choice, worker)
    else:
        url = choice
    _reset_schema(url)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def test_config(database_url, tmp_path_factory) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "CONTENT_DIR": CONTENT_DIR,
        # Tests send forms at machine speed and many times over; the tests of these two rules
        # set them back.
        "MIN_FILL_SECONDS": 0,
        "REFERRAL_LIMITS": "10000 per minute",
        # Nothing listens here unless a test starts its SMTP sink.
        "SMTP_PORT": 1,
        "SMTP_TIMEOUT": 1,
        # Each request looks at the listings version (public/cache.py), so a test sees a change made
        # by another app on the same database (the live server's, say) at once; the drills run the
        # real interval.
        "VERSION_CHECK_SECONDS": 0,
    }


def _empty_tables(app) -> None:
    from haven import db
    from haven.models.audit import append_only_ddl

    with app.app_context():
        with db.engine().begin() as connection:
            # The audit log refuses DELETE in the database: only this test-only cleanup lifts the
            # refusal, inside its own transaction, and puts it back with the migration's own DDL.
            dialect = connection.dialect.name
            for statement in append_only_ddl(dialect, create=False):
                connection.exec_driver_sql(statement)
            for table in reversed(Base.metadata.sorted_tables):
                # The listings version only ever rises: emptied, it would start again at a number
                # the session-long live server's page cache may have seen already. Raised instead,
                # as every change to the listings raises it.
                if table.name == "listings_version":
                    connection.execute(table.update().values(version=table.c.version + 1))
                else:
                    connection.execute(table.delete())
            for statement in append_only_ddl(dialect):
                connection.exec_driver_sql(statement)


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashes():
    """argon2id at the least work it allows, for this process only. At production strength each
    password made or checked costs about 0.2 s of a core, and the suite makes and checks hundreds.
    Production's parameters are checked in a process of their own (test_staff); processes the
    tests start (gunicorn, the CLI) hash at production strength."""
    from argon2 import PasswordHasher

    from haven.security import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._dummy_hash.cache_clear()
    yield
    passwords._hasher = production
    passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _content_read_once():
    """The repository's content, parsed once for the whole run: every test's app would otherwise
    read and parse the same YAML again (a quarter of create_app). The profile is a frozen
    dataclass, and tests that need another one replace it (use_profile) or read their own folder."""
    import haven

    real = haven.load_profile
    kept = real(CONTENT_DIR)
    haven.load_profile = lambda content_dir: kept if Path(content_dir) == CONTENT_DIR else real(content_dir)
    yield
    haven.load_profile = real


@pytest.fixture
def app(test_config):
    app = create_app(dict(test_config))
    # Before as well as after: the browser tests' live server writes rows that no unit test's
    # teardown knows about, and a narrowed run (-k notice) must not meet them.
    _empty_tables(app)
    yield app
    _empty_tables(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()



class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps every message it receives, as text."""

    def __init__(self):
        self.messages: list[str] = []
        self.delay = 0.0  # seconds each message takes, for tests of workers racing each other

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    yield sink
    controller.stop()


class HangingServer:
    """A mail server that accepts every connection and never says a word (not even its greeting),
    counting the connections it accepted."""

    def __init__(self):
        import socket
        import threading

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.connections: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def accepted(self) -> int:
        return len(self.connections)

    def _accept(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:  # the accept timed out (or the listener closed): look at _stop again
                continue
            self.connections.append(connection)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        for connection in [self.listener, *self.connections]:
            connection.close()


@pytest.fixture
def hanging_smtp():
    server = HangingServer()
    yield server
    server.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: a mail server that is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
