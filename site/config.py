"""Every setting Haven reads, taken from the environment once.

Development gets safe defaults so `make run` works on a fresh machine; production refuses to start
when a secret is missing, with a one-line reason, rather than run with a guessable one.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ENVIRONMENTS = ("development", "production")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message is one line meant for the operator."""


def _development_secret(instance_path: Path) -> str:
    # Generated once and kept out of git, so development sessions survive restarts.
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load(instance_path: Path, environ: dict[str, str] | None = None) -> dict:
    env = os.environ if environ is None else environ
    haven_env = env.get("HAVEN_ENV", "development")
    if haven_env not in ENVIRONMENTS:
        raise ConfigError(f"HAVEN_ENV must be one of {', '.join(ENVIRONMENTS)}, not {haven_env!r}")
    production = haven_env == "production"

    secret_key = env.get("SECRET_KEY", "")
    if production and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY must be set to at least 32 random characters in production")
    if not secret_key:
        secret_key = _development_secret(instance_path)

    database_url = env.get("DATABASE_URL", "")
    if production and not database_url:
        raise ConfigError("DATABASE_URL must be set in production (PostgreSQL)")
    if not database_url:
        database_url = f"sqlite:///{instance_path / 'haven.sqlite3'}"

    return {
        "HAVEN_ENV": haven_env,
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "CONTENT_DIR": Path(env.get("HAVEN_CONTENT_DIR", PROJECT_ROOT / "content")),
        # The largest legitimate request is the self-referral form (5,000 characters of free text).
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "SESSION_COOKIE_NAME": "haven_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # A form may stay open for a long time while someone waits for a safe moment to send it.
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
    }
