"""Haven: the public domestic abuse support site and the back office behind it."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access, assets, cli, db, errors, i18n, logs
from . import config as config_module
from .extensions import babel, csrf, limiter
from .security import headers
from .security.crypto import Keyring
from .sessions import CookieFirstSessions
from .services.content import load_profile


def _refuse(reason: str) -> None:
    # One line for the operator, not a traceback: the reason is all they need.
    print(f"haven: refusing to start: {reason}", file=sys.stderr)
    raise SystemExit(1)


def _check_stored_keys(app: Flask) -> None:
    """Refuse to start while a stored value uses a key that is not configured: staff would meet
    a 500 at sign-in, and referrals could not be read. A few queries, once per process, so it is
    on in production (CHECK_STORED_KEYS) and off for the test suite's many apps; `keys check` runs
    the same check anywhere. A database that cannot be reached is not a reason to refuse: the
    public pages need none."""
    from sqlalchemy.exc import SQLAlchemyError

    from .services import keys

    with app.app_context():
        try:
            problem = keys.problem(db.session(), app.extensions["haven_keyring"])
        except SQLAlchemyError as error:
            print(f"haven: could not check the stored keys ({type(error).__name__}); "
                  "run `flask --app haven keys check`", file=sys.stderr)
            return
    if problem:
        _refuse(problem)


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get("HAVEN_INSTANCE_PATH")
    app = Flask(__name__, instance_path=str(Path(instance_path).resolve()) if instance_path else None)
    app.jinja_env.add_extension(assets.Unindent)

    try:
        app.config.update(config_module.load(Path(app.instance_path)))
    except config_module.ConfigError as error:
        _refuse(str(error))
    app.config.update(config)
    if app.config.get("TRUSTED_PROXIES"):
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    logs.init_app(app)  # first, so its hooks time everything after them

    app.extensions["haven_profile"] = load_profile(app.config["CONTENT_DIR"])
    app.extensions["haven_keyring"] = Keyring.parse(app.config["DATA_KEYS"])

    app.session_interface = CookieFirstSessions()  # public pages are read without a cookie (sessions.py)
    db.init_app(app)
    if app.config.get("CHECK_STORED_KEYS"):
        _check_stored_keys(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    # Talisman's hooks first, so that an http:// request in production is sent to https:// before
    # anything else; then a public page already rendered is answered at once (public/cache.py).
    headers.init_app(app)
    from .public.cache import serve_rendered

    app.before_request(serve_rendered)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    access.init_app(app)
    assets.init_app(app)

    from .editor import bp as editor_bp
    from .health import bp as health_bp
    from .public import bp as public_bp
    from .staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(editor_bp)
    app.register_blueprint(health_bp)

    @app.context_processor
    def _site_profile():
        return {"site": app.extensions["haven_profile"]}

    return app
