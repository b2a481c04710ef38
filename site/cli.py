"""flask --app haven db|content|keys|audit|referrals|staff|translations|worker|backup|restore ..."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from . import db as database
from . import migrations
from .security.crypto import new_key_entry
from .i18n import LOCALES
from .services import audit, keys, listing_store, notify, staff
from .services.areas import AreaError, load_areas
from .services.content import load_profile
from .services.content_check import check

db_cli = AppGroup("db", help="The database schema.")
keys_cli = AppGroup("keys", help="The keys that encrypt personal data at rest.")
audit_cli = AppGroup("audit", help="The append-only audit log.")
referrals_cli = AppGroup("referrals", help="Referrals and their staff notices.")
staff_cli = AppGroup("staff", help="Staff accounts.")
translations_cli = AppGroup("translations", help="What changed since each language's last review.")


def _translation_dirs():
    return current_app.config["CONTENT_DIR"], Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])


@translations_cli.command("changed")
@click.option("--write", is_flag=True, help="Record the lists in content/translations.yaml.")
def translations_changed(write):
    """List, per language, the strings and pages changed since its last review."""
    from .services import translation_review

    content_dir, translations_dir = _translation_dirs()
    for locale, entry in translation_review.current_status(content_dir, translations_dir)["locales"].items():
        items = entry["changed_since_review"]
        click.echo(f"{locale}: {items}" if isinstance(items, str) else f"{locale}: {len(items)} changed")
        for item in ([] if isinstance(items, str) else items):
            click.echo(f"  {item[:100]}")
    if write:
        translation_review.write_status(content_dir, translations_dir)


@translations_cli.command("reviewed")
@click.argument("locale")
@click.option("--by", "reviewer", required=True, help="The qualified translator who reviewed it.")
def translations_reviewed(locale, reviewer):
    """Record that a qualified translator has reviewed LOCALE as it stands now."""
    from datetime import date

    from .services import translation_review

    if locale not in LOCALES or locale == "en":
        raise click.BadParameter(f"not a translated locale: {locale}")
    content_dir, translations_dir = _translation_dirs()
    translation_review.record_review(content_dir, translations_dir, locale, reviewer, date.today())
    translation_review.write_status(content_dir, translations_dir)
    click.echo(f"{locale}: reviewed by {reviewer}; later changes will be listed in content/translations.yaml")


@staff_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(staff.ROLES))
def staff_create(email, roles):
    """Create an account and print its one-time set-up link (no default accounts exist)."""
    try:
        user, token = staff.create_account(database.session(), email, list(roles), actor="cli",
                                           link_hours=current_app.config["STAFF_SETUP_LINK_HOURS"])
    except staff.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"set-up link for {user.email} (valid {current_app.config['STAFF_SETUP_LINK_HOURS']} hours):")
    click.echo(f"{current_app.config['PUBLIC_URL']}/staff/setup/{token}")
content_cli = AppGroup("content", help="The organisation's content in content/.")


@db_cli.command("upgrade")
def db_upgrade():
    """Bring the schema up to the newest migration."""
    migrations.upgrade(current_app.config["DATABASE_URL"], keyring=current_app.extensions["haven_keyring"],
                       match_key=current_app.config["MATCH_KEY"].encode(),
                       targets=current_app.extensions["haven_profile"].targets)
    click.echo("database: schema is up to date")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message):
    """Write a new migration from the difference between the models and the database."""
    migrations.revision(current_app.config["DATABASE_URL"], message)


@content_cli.command("check")
def content_check():
    """List placeholders and errors; fail in production while any placeholder remains."""
    try:
        loaded = {doc["slug"]: doc for doc in listing_store.published(database.session())}
    except SQLAlchemyError:
        # No schema yet: the seeds in content/ are all there is to judge.
        database.session().rollback()
        loaded = None
        click.echo("note: the database has no listings table yet; checking the seeds only")
    passes, lines = check(current_app.config["CONTENT_DIR"], current_app.config["PRODUCTION"],
                          loaded=loaded, locales=LOCALES)
    for line in lines:
        click.echo(line)
    click.echo("content: ok" if passes else "content: not ready")
    if not passes:
        raise SystemExit(1)


@content_cli.command("load")
def content_load():
    """Validate content/, record the version in use and load the service listings (by slug).
    Loading the same content twice changes nothing."""
    content_dir = current_app.config["CONTENT_DIR"]
    profile = load_profile(content_dir)
    session = database.session()
    try:
        counts = listing_store.load_seeds(session, content_dir, areas=load_areas(content_dir), locales=LOCALES)
    except (listing_store.SeedError, AreaError) as error:
        raise click.ClickException(str(error)) from None
    click.echo("listings: " + ", ".join(f"{count} {what}" for what, count in counts.items()))
    if counts["kept"]:
        click.echo("listings: an editor has changed the ones kept; `content export` shows them")
    last = audit.latest(session, "content.loaded")
    if last is not None and last.detail == profile.digest:
        session.commit()
        click.echo("content: unchanged")
        return
    audit.record(session, actor="cli", action="content.loaded", record_type="site.yaml",
                 detail=profile.digest)
    session.commit()
    click.echo("content: loaded")


@content_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def content_export(directory):
    """Write every listing in the database to DIRECTORY as YAML, one file per listing (for review
    and backup; the files can be loaded again)."""
    count = listing_store.export(database.session(), Path(directory))
    click.echo(f"listings: {count} written to {directory}")


@keys_cli.command("new")
@click.argument("key_id")
def keys_new(key_id):
    """Print a new key entry. Put it first in HAVEN_DATA_KEYS, keep the old ones after it, then rotate."""
    click.echo(new_key_entry(key_id))


@keys_cli.command("rotate")
def keys_rotate():
    """Re-encrypt every stored value (keys.ENCRYPTED) under the newest key in HAVEN_DATA_KEYS."""
    keyring = current_app.extensions["haven_keyring"]
    session = database.session()
    problem = keys.problem(session, keyring)
    if problem:
        raise click.ClickException(problem)
    changed = keys.rotate(session, keyring)
    audit.record(session, actor="cli", action="keys.rotated", record_type="keys",
                 record_id=keyring.newest_id, detail=", ".join(f"{n} {label}" for label, n in changed.items()))
    session.commit()
    for label, count in changed.items():
        click.echo(f"keys: {count} {label} re-encrypted under {keyring.newest_id}")
    old = [key_id for key_id in keys.in_use(session, keyring) if key_id != keyring.newest_id]
    click.echo(f"keys: still in use: {', '.join(old)}" if old else
               "keys: nothing stored uses an older key; older keys may now be removed")


@keys_cli.command("check")
def keys_check():
    """Fail, with the reason, while any stored value uses a key HAVEN_DATA_KEYS does not hold."""
    keyring = current_app.extensions["haven_keyring"]
    problem = keys.problem(database.session(), keyring)
    if problem:
        click.echo(f"keys: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"keys: ok: every stored value uses a configured key; in use: "
               f"{', '.join(keys.in_use(database.session(), keyring)) or 'none'}")


@audit_cli.command("expired")
def audit_expired():
    """Count the audit events older than HAVEN_AUDIT_RETENTION_MONTHS. Nothing is deleted: the
    log is append-only in the database and each event's hash chains to the one before."""
    from .services import retention, targets

    months = current_app.config["AUDIT_RETENTION_MONTHS"]
    count, before = retention.audit_expired(database.session(), targets.now(), months)
    database.session().rollback()
    click.echo(f"audit: {count} events before {before.date().isoformat()} are past {months} months "
               f"(the log is append-only: none deleted)")


@audit_cli.command("verify")
def audit_verify():
    """Check the audit log's hash chain; report the first event that breaks it."""
    verdict = audit.verify(database.session())
    database.session().rollback()
    if verdict.broken_at is not None:
        click.echo(f"audit: chain broken at event {verdict.broken_at}: it, or the event before it, "
                   f"was changed, removed or inserted out of turn ({verdict.events} events intact before it)", err=True)
        raise SystemExit(1)
    click.echo(f"audit: {verdict.events} events, chain intact; newest hash {verdict.head}")


@referrals_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Say how many would go and the cut-off; change nothing.")
def referrals_purge(dry_run):
    """Remove the personal content of referrals closed more than HAVEN_RETENTION_MONTHS ago
    (unless on legal hold), keeping the plain figures reports count; audited."""
    from .services import retention, targets

    months = current_app.config["RETENTION_MONTHS"]
    run = retention.purge(database.session(), targets.now(), months, dry_run,
                          keyring=current_app.extensions["haven_keyring"])
    if dry_run:
        click.echo(f"referrals: dry run: {run.count} closed before {run.cut_off_date} ({months} months) "
                   f"would lose their personal content; nothing changed")
    else:
        click.echo(f"referrals: {run.count} closed before {run.cut_off_date} ({months} months) "
                   f"lost their personal content")


def _send_notices_once():
    result = notify.send_pending(database.session(), current_app.config)
    click.echo(f"notices: {result.sent} sent, {result.failed} failed, {result.waiting} waiting")
    if result.failed:
        raise SystemExit(1)


@referrals_cli.command("send-notices")
def referrals_send_notices():
    """Send the staff notices waiting in the outbox (one pass, for cron); fails while the mail
    server does."""
    _send_notices_once()


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="One pass, then exit (non-zero if a send failed): for cron and tests.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between passes.")
def worker(once, interval):
    """Send the staff notices that referrals leave in the outbox, until SIGTERM or SIGINT."""
    import signal
    import threading

    if once:
        _send_notices_once()
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"worker: sending staff notices every {interval:g} s; SIGTERM or SIGINT stops it")
    notify.work(database.session(), current_app.config, stop, interval=interval, report=click.echo)
    click.echo("worker: stopped")


@click.command("backup")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory):
    """Write a backup of the database into DIRECTORY (SQLite: VACUUM INTO; PostgreSQL: pg_dump,
    custom format). It holds no keys: back HAVEN_DATA_KEYS, HAVEN_MATCH_KEY and SECRET_KEY up apart."""
    from datetime import datetime, timezone

    from .services import backup

    try:
        written = backup.backup(current_app.config["DATABASE_URL"], directory, datetime.now(timezone.utc))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup: wrote {backup.describe(written)}")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(file, yes):
    """Replace everything in the database with the backup FILE. Stop Haven and its worker first;
    afterwards run `db upgrade` if the backup is older than the code."""
    from .services import backup

    url = current_app.config["DATABASE_URL"]
    if not yes:
        click.confirm("This replaces every row in the database with the backup. Continue?", abort=True)
    try:
        written = backup.restore(url, file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restore: restored {backup.describe(written)}; schema at revision {backup.schema_revision(url)}")


def init_app(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(referrals_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(translations_cli)
    app.cli.add_command(worker)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
