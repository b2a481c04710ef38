"""The production entry point: `gunicorn -c gunicorn.conf.py haven.wsgi:app`.

It fails closed. Started through it, Haven is production even when HAVEN_ENV is unset, and it
refuses to start, with one line on stderr and a non-zero exit, while anything the public must not
be served without is missing: the secrets and data keys (config.load), PostgreSQL, an https://
address, shared rate limits when several processes serve, and content that `content check` passes.
gunicorn.conf.py preloads it, so the checks run once, in gunicorn's master, before any worker.
"""
from __future__ import annotations

import os

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from . import _check_stored_keys, _refuse, config, create_app, db
from .i18n import LOCALES


def _published_listings(app: Flask) -> dict[str, dict]:
    from .services import listing_store

    with app.app_context():
        try:
            return {doc["slug"]: doc for doc in listing_store.published(db.session())}
        except SQLAlchemyError as error:
            # Fail closed: without the database the listings residents would see cannot be judged.
            raise config.ConfigError(f"cannot read the published listings ({type(error).__name__}): is the "
                                     "database reachable, and `flask --app haven db upgrade` run?") from None


def production_app() -> Flask:
    # Settled before the app exists, so that a refusal comes before anything touches the database.
    try:
        config.serving_settings(os.environ)
    except config.ConfigError as error:
        _refuse(str(error))
    os.environ["HAVEN_ENV"] = "production"
    # The stored keys are checked below, once the database has answered: with it down, the one
    # line an operator sees is the refusal that says so, not a note about keys before it.
    app = create_app({"CHECK_STORED_KEYS": False})
    try:
        config.check_content(app.config["CONTENT_DIR"], _published_listings(app), LOCALES)
        _check_stored_keys(app)
    except config.ConfigError as error:
        _refuse(str(error))
    finally:
        # The checks ran in gunicorn's master: no pooled connection may be shared by the workers
        # it forks, so each opens its own.
        with app.app_context():
            db.engine().dispose()
    return app


app = production_app()
