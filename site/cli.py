"""flask --app haven db|content ..."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from . import db as database
from . import migrations
from .services import audit
from .services.content import load_profile
from .services.content_check import check

db_cli = AppGroup("db", help="The database schema.")
content_cli = AppGroup("content", help="The organisation's content in content/.")


@db_cli.command("upgrade")
def db_upgrade():
    """Bring the schema up to the newest migration."""
    migrations.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database: schema is up to date")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message):
    """Write a new migration from the difference between the models and the database."""
    migrations.revision(current_app.config["DATABASE_URL"], message)


@content_cli.command("check")
def content_check():
    """List placeholders and errors; fail in production while any placeholder remains."""
    passes, lines = check(current_app.config["CONTENT_DIR"], current_app.config["PRODUCTION"])
    for line in lines:
        click.echo(line)
    click.echo("content: ok" if passes else "content: not ready")
    if not passes:
        raise SystemExit(1)


@content_cli.command("load")
def content_load():
    """Validate content/ and record the version in use. Loading the same content twice changes nothing."""
    profile = load_profile(current_app.config["CONTENT_DIR"])
    session = database.session()
    last = audit.latest(session, "content.loaded")
    if last is not None and last.detail == profile.digest:
        click.echo("content: unchanged")
        return
    audit.record(session, actor="cli", action="content.loaded", record_type="site.yaml",
                 detail=profile.digest)
    session.commit()
    click.echo("content: loaded")


def init_app(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(content_cli)
