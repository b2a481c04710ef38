"""Backups (issue 17): `flask --app haven backup DIR`, then the database wiped, then
`flask --app haven restore FILE`, and every referral and note reads again with the keys. On
PostgreSQL this runs the real pg_dump and pg_restore."""
from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import SQLAlchemyError

from haven import db
from haven.db import make_engine
from haven.migrations import alembic_config, upgrade
from haven.models import Referral, StaffUser
from haven.services import backup, cases, referrals
from tests.helpers import NAME, T0, WORDS, send_referral

NOTES = ["rang at 10, no answer, no voicemail", "spoke to her: safe to call after 6",
         "locks booked for Thursday; she agreed"]
OLDER = "0015"
WRITTEN = re.compile(r"^backup: wrote (\S+) \(([\d,]+) bytes\)$")


def _wipe(url: str) -> None:
    """Lose everything in the database: every table (with its rows, indexes and triggers). The
    SQLite file itself stays, so connections other fixtures keep open (the live server's) still
    point at the database the restore brings back."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        tables = MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)  # in foreign-key order
    engine.dispose()


@pytest.fixture
def disposable_database(app, database_url):
    """The shared test database, put back as a fresh schema should this test leave it wiped."""
    yield database_url
    with app.app_context():
        db.engine().dispose()
    if backup.schema_revision(database_url) is None:
        _wipe(database_url)
        upgrade(database_url)


def _readable(app) -> dict[str, tuple[str, str, list[str]]]:
    """Every referral's name and words, and its notes, decrypted with the app's keys."""
    keyring = app.extensions["haven_keyring"]
    with app.app_context():
        session = db.session()
        found = {}
        for referral in session.scalars(select(Referral).order_by(Referral.id)):
            sent = referrals.read(keyring, referral)
            notes = [entry.body for entry in cases.timeline(session, keyring, referral) if entry.event.kind == "note"]
            found[referral.reference] = (sent.name, sent.message, notes)
        session.rollback()
        return found


def _content(path: Path, url: str) -> bytes:
    """What the backup holds, readable: the SQLite file, or the SQL that pg_restore makes of the
    (compressed) custom-format dump."""
    if url.startswith("sqlite"):
        return path.read_bytes()
    return subprocess.run([backup.pg_tool("pg_restore"), "--file=-", str(path)], capture_output=True,
                          check=True).stdout


def test_backup_wipe_restore_and_every_referral_and_note_reads_again(app, runner, worker, tmp_path,
                                                                     disposable_database):
    url = disposable_database
    made = [send_referral(app, at=T0, message=f"{WORDS} {number}") for number in range(3)]
    keyring = app.extensions["haven_keyring"]
    with app.app_context():
        session = db.session()
        author = session.get(StaffUser, worker.staff_id)
        for reference, note in zip(made, NOTES):
            cases.add_note(session, keyring, session.scalars(select(Referral).filter_by(reference=reference)).one(),
                           author, note)
    before = _readable(app)
    assert sorted(before) == sorted(made)
    assert [before[reference][2] for reference in made] == [[note] for note in NOTES]

    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    # One line: where it went and its size; nothing of what it holds.
    line = result.output.strip()
    assert "\n" not in line and NAME not in line and WORDS not in line
    path, size = Path(WRITTEN.match(line).group(1)), int(WRITTEN.match(line).group(2).replace(",", ""))
    assert path.parent == tmp_path / "backups" and path.stat().st_size == size > 0
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only

    # No key is in it, and what the people and staff wrote is there only as ciphertext.
    held = _content(path, url)
    assert b"referral" in held and made[0].encode() in held
    secrets = [app.config["SECRET_KEY"], app.config["MATCH_KEY"]]
    for entry in app.config["DATA_KEYS"].split(","):
        secrets.append(entry.split(":", 1)[1])
    for _, key in keyring.keys:
        secrets += [key.hex(), base64.b64encode(key).decode()]
        assert key not in held
    for value in [*secrets, NAME, WORDS, *NOTES]:
        assert value.encode() not in held

    with app.app_context():
        db.engine().dispose()  # the app lets go of the database it is about to lose
    _wipe(url)
    assert backup.schema_revision(url) is None
    with pytest.raises(SQLAlchemyError):
        _readable(app)

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith(f"restore: restored {path} ")
    with app.app_context():
        db.engine().dispose()
    assert _readable(app) == before
    assert {name for name, _, _ in before.values()} == {NAME}
    # The audit log came back whole: its hash chain still verifies.
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_a_backup_taken_before_an_upgrade_restores_and_upgrades_with_everything_readable(
        app, runner, worker, tmp_path, disposable_database):
    """The README's recipe after a release: restore a backup the older code took, then `db
    upgrade`. The older schema is made by migrating this database down (OLDER is three releases
    back, before the equality answers, the notice outbox and the listings version)."""
    url = disposable_database
    made = [send_referral(app, at=T0, message=f"{WORDS} {number}") for number in range(2)]
    keyring = app.extensions["haven_keyring"]
    with app.app_context():
        session = db.session()
        referral = session.scalars(select(Referral).filter_by(reference=made[0])).one()
        cases.add_note(session, keyring, referral, session.get(StaffUser, worker.staff_id), NOTES[0])
        listings_version = session.scalar(text("SELECT version FROM listings_version"))
    before = _readable(app)
    with app.app_context():
        db.engine().dispose()
    command.downgrade(alembic_config(url), OLDER)
    assert backup.schema_revision(url) == OLDER
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    path = Path(WRITTEN.match(result.output.strip()).group(1))
    _wipe(url)

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"schema at revision {OLDER}")
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine().dispose()
        # The session's live server may have kept pages under a higher version than 0018 starts at.
        session = db.session()
        session.execute(text("UPDATE listings_version SET version = :v"), {"v": listings_version + 1})
        session.commit()
    assert _readable(app) == before
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_restore_asks_first_and_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path, disposable_database):
    send_referral(app, at=T0)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    result = runner.invoke(args=["restore", str(not_a_backup)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    result = runner.invoke(args=["restore", str(not_a_backup), "--yes"])
    assert result.exit_code == 1 and "Error:" in result.output
    with app.app_context():
        db.engine().dispose()
    assert len(_readable(app)) == 1  # nothing was changed


def test_a_second_backup_in_the_same_second_does_not_overwrite_the_first(app, tmp_path, database_url):
    first = backup.backup(database_url, tmp_path, T0)
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup(database_url, tmp_path, T0)
    assert first.path.stat().st_size == first.size
