"""Backups of the database (`flask --app haven backup DIR`) and restoring one (`restore FILE`).

A backup is the database as it stands: personal data in it is ciphertext, and no key is in it
(HAVEN_DATA_KEYS, HAVEN_MATCH_KEY and SECRET_KEY live in the environment, never in the database),
so it is readable only with the keys, which are backed up apart. SQLite: `VACUUM INTO`, a
consistent copy taken while Haven runs. PostgreSQL: `pg_dump --format=custom`, restored with
`pg_restore --clean --if-exists` in a single transaction, so a restore that fails changes nothing.
Connection details reach the PostgreSQL tools through the environment, never their command line.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from ..db import normalise_url

POSTGRESQL_BIN = Path("/usr/lib/postgresql")
# libpq settings an operator may put in DATABASE_URL's query string, and their environment names.
LIBPQ_QUERY = {"host": "PGHOST", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
               "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT"}


class BackupError(Exception):
    """Why a backup or restore could not be done, in one line with nothing personal in it."""


@dataclass(frozen=True)
class Written:
    path: Path
    size: int


def _is_sqlite(url: str) -> bool:
    return normalise_url(url).startswith("sqlite")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def pg_tool(name: str) -> str:
    """The newest installed pg_dump or pg_restore (it reads dumps of every older server), else
    the one on PATH."""
    versions = sorted((path for path in POSTGRESQL_BIN.glob(f"*/bin/{name}") if path.parts[-3].isdigit()),
                      key=lambda path: int(path.parts[-3]))
    found = str(versions[-1]) if versions else shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (Debian: postgresql-client)")
    return found


def _pg_environment(url: str) -> dict[str, str]:
    parsed = make_url(normalise_url(url))
    environment = dict(os.environ)
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                        ("PGPASSWORD", parsed.password), ("PGDATABASE", parsed.database)):
        if value is not None:
            environment[name] = str(value)
    for key, value in parsed.query.items():
        if key in LIBPQ_QUERY:
            environment[LIBPQ_QUERY[key]] = value if isinstance(value, str) else value[-1]
    return environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        # The tools' messages name objects and connections, never rows.
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what} failed: {last}")


def _new_file(directory: Path, now: datetime, suffix: str) -> Path:
    """A new file, readable by its owner only, that no earlier backup occupies."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"haven-{now:%Y%m%dT%H%M%SZ}{suffix}"
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise BackupError(f"{path} already exists") from None
    return path


def backup(url: str, directory: Path, now: datetime) -> Written:
    """Write a backup of the database into `directory`; `now` (UTC) names the file."""
    if _is_sqlite(url):
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        path = _new_file(directory, now, ".sqlite3")
        try:
            connection = sqlite3.connect(source, isolation_level=None)
            try:
                # One read transaction: a consistent copy while the app goes on writing (WAL).
                connection.execute("VACUUM INTO ?", (str(path),))
            finally:
                connection.close()
            _check_sqlite(path)
        except (sqlite3.Error, BackupError):
            path.unlink(missing_ok=True)
            raise
    else:
        path = _new_file(directory, now, ".pgdump")
        try:
            _run([pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={path}"],
                 _pg_environment(url), "pg_dump")
        except BackupError:
            path.unlink(missing_ok=True)
            raise
    return Written(path, path.stat().st_size)


def _check_sqlite(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            has_schema = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        raise BackupError(f"{path} is not a SQLite database") from None
    if verdict != "ok" or not has_schema:
        raise BackupError(f"{path} is not a sound Haven backup ({'no schema' if verdict == 'ok' else verdict})")


def restore(url: str, path: Path) -> Written:
    """Replace everything in the database with the backup at `path`. Stop Haven and its worker
    first: a restore is not merged with what they write meanwhile."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    if _is_sqlite(url):
        _check_sqlite(path)
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        # SQLite's backup API writes the pages through the target's own locks and journal (WAL
        # included), so no stale -wal file can be replayed over the restored database afterwards.
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        except sqlite3.Error as error:
            raise BackupError(f"restore failed: {error}") from None
        finally:
            destination.close()
            source.close()
    else:
        environment = _pg_environment(url)
        if not environment.get("PGDATABASE"):
            raise BackupError("DATABASE_URL names no database to restore into")
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
              "--no-owner", "--no-privileges", "--no-password", f"--dbname={environment['PGDATABASE']}",
              str(path)], environment, "pg_restore")
    return Written(path, path.stat().st_size)


def schema_revision(url: str) -> str | None:
    """The migration the database is at, or None without a schema."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from ..db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def describe(written: Written) -> str:
    return f"{written.path} ({written.size:,} bytes)"

