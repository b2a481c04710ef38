"""Every setting Haven reads, taken from the environment once.

Development gets safe defaults so `make run` works on a fresh machine; production refuses to start
when a secret is missing, with a one-line reason, rather than run with a guessable one.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from .security.crypto import KeyConfigError, Keyring, development_keys

ENVIRONMENTS = ("development", "production")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message is one line meant for the operator."""


def _development_secret(instance_path: Path, name: str = "secret_key") -> str:
    # Generated once and kept out of git, so development sessions survive restarts.
    key_file = instance_path / name
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # Created with mode 0600 from the start: there is no moment when others could read it.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _count(env, name: str, default: str) -> int:
    value = env.get(name, default)
    if not value.isdigit():
        raise ConfigError(f"{name} must be a whole number of 0 or more, not {value!r}")
    return int(value)


def _months(env, name: str, default: str) -> int:
    # 0 would make everything closed due at once: a mistake, not a policy.
    months = _count(env, name, default)
    if months < 1:
        raise ConfigError(f"{name} must be a whole number of months, 1 or more, not {months}")
    return months


def _flag(env, name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"{name} must be 1 or 0, not {value!r}")
    return value in ("1", "true", "yes")


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

    # Its own secret, not derived from SECRET_KEY or the data keys: rotating those must not cut a
    # new referral off from the earlier ones it repeats (services/matching.py).
    match_key = env.get("HAVEN_MATCH_KEY", "")
    if production and len(match_key) < 32:
        raise ConfigError("HAVEN_MATCH_KEY must be set to at least 32 random characters in production (repeat referrals)")
    if not match_key:
        match_key = _development_secret(instance_path, "match_key")

    data_keys = env.get("HAVEN_DATA_KEYS", "")
    if production and not data_keys:
        raise ConfigError("HAVEN_DATA_KEYS must be set in production (see `flask --app haven keys new`)")
    if not data_keys:
        data_keys = development_keys(instance_path)
    try:
        Keyring.parse(data_keys)
    except KeyConfigError as error:
        raise ConfigError(str(error)) from None

    smtp_starttls = _flag(env, "SMTP_STARTTLS")
    smtp_username, smtp_password = env.get("SMTP_USERNAME", ""), env.get("SMTP_PASSWORD", "")
    if bool(smtp_username) != bool(smtp_password):
        raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD must be set together")
    if production and smtp_username and not smtp_starttls:
        raise ConfigError("SMTP_USERNAME needs SMTP_STARTTLS=1 in production (the password must not cross the network in clear)")

    inbox_email = env.get("HAVEN_STAFF_INBOX_EMAIL", "")
    if production and not inbox_email:
        raise ConfigError("HAVEN_STAFF_INBOX_EMAIL must be set in production (new referrals are announced there)")

    return {
        "HAVEN_ENV": haven_env,
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "CONTENT_DIR": Path(env.get("HAVEN_CONTENT_DIR", PROJECT_ROOT / "content")),
        # The largest legitimate request is the self-referral form (5,000 characters of free text).
        "MAX_CONTENT_LENGTH": 256 * 1024,
        # The one larger request: a photo or PDF attached to a case (its route raises its own limit).
        "EVIDENCE_MAX_BYTES": _count(env, "HAVEN_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)),
        "SESSION_COOKIE_NAME": "haven_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # A form may stay open for a long time while someone waits for a safe moment to send it.
        "WTF_CSRF_TIME_LIMIT": None,
        "DATA_KEYS": data_keys,
        "MATCH_KEY": match_key,
        # Refuse to start while a stored value uses a key not in DATA_KEYS (create_app).
        "CHECK_STORED_KEYS": production,
        # Where the no-personal-data notice of each new referral goes, and how.
        "STAFF_INBOX_EMAIL": inbox_email or "da-team@localhost",
        "MAIL_FROM": env.get("HAVEN_MAIL_FROM", "haven@localhost"),
        "SMTP_HOST": env.get("SMTP_HOST", "127.0.0.1"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_TIMEOUT": 5,
        # STARTTLS checks the server's certificate and name against the system's CAs.
        "SMTP_STARTTLS": smtp_starttls,
        "SMTP_USERNAME": smtp_username,
        "SMTP_PASSWORD": smtp_password,
        # The address staff use, for the link in the notice (no personal data in it).
        "PUBLIC_URL": env.get("HAVEN_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Flask-Limiter: memory for one process; a redis:// URL when several processes serve.
        "RATELIMIT_STORAGE_URI": env.get("HAVEN_RATELIMIT_STORAGE_URI", "memory://"),
        # Redis down must not stop a form: each process then counts on its own, in memory, and
        # Flask-Limiter warns once (and says when Redis is back). A Redis that hangs is given a
        # second at a time, not the person's whole wait.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": ({"socket_connect_timeout": 1, "socket_timeout": 1}
                                      if env.get("HAVEN_RATELIMIT_STORAGE_URI", "").startswith("redis") else {}),
        "REFERRAL_LIMITS": env.get("HAVEN_REFERRAL_LIMITS", "5 per 10 minutes;20 per day"),
        # How many reverse proxies in front of Haven set X-Forwarded-For and -Proto. Behind one,
        # every request otherwise comes from 127.0.0.1 and one client's limit becomes everyone's.
        "TRUSTED_PROXIES": _count(env, "HAVEN_TRUSTED_PROXIES", "0"),
        # A person needs longer than this to fill in the form; a script does not.
        "MIN_FILL_SECONDS": int(env.get("HAVEN_MIN_FILL_SECONDS", "3")),
        # Target-hardening works not completed this many days after the request are flagged on
        # the case; neither policy gives a number, so the organisation sets its own.
        "WORKS_WITHIN_DAYS": _count(env, "HAVEN_WORKS_WITHIN_DAYS", "28"),
        # Retention (whg 3.1; UK GDPR storage limitation): a closed referral's personal content is
        # removed this many months after closure (`referrals purge`), and the audit log's rows are
        # counted as past their time after this many (`audit expired`; the log is never deleted from).
        "RETENTION_MONTHS": _months(env, "HAVEN_RETENTION_MONTHS", "24"),
        "AUDIT_RETENTION_MONTHS": _months(env, "HAVEN_AUDIT_RETENTION_MONTHS", "72"),
        "STAFF_IDLE_MINUTES": int(env.get("HAVEN_STAFF_IDLE_MINUTES", "30")),
        "STAFF_ABSOLUTE_HOURS": int(env.get("HAVEN_STAFF_ABSOLUTE_HOURS", "12")),
        "STAFF_SETUP_LINK_HOURS": int(env.get("HAVEN_STAFF_SETUP_LINK_HOURS", "24")),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
    }


# ---- the production entry point (haven.wsgi) ------------------------------------------------------
# config.load refuses production without its secrets and keys; these are what serving it to the
# public needs besides, each a plain function so the tests can call it and gunicorn.conf.py share it.

# gunicorn.conf.py starts this many processes unless WEB_CONCURRENCY says otherwise: one more than
# the host's cores, so a process waiting on PostgreSQL leaves none of them idle, and never fewer than
# two, so one busy or restarting process never leaves the site without an answer. Each process
# serves one request at a time (DEFAULT_THREADS): see gunicorn.conf.py.
def default_processes() -> int:
    return max(2, (os.cpu_count() or 1) + 1)


DEFAULT_THREADS = 1


def process_count(env) -> int:
    """How many processes serve on this host (WEB_CONCURRENCY, which gunicorn reads too)."""
    count = _count(env, "WEB_CONCURRENCY", str(default_processes()))
    if count < 1:
        raise ConfigError("WEB_CONCURRENCY must be 1 or more")
    return count


def check_shared_limits(processes: int, storage_uri: str) -> None:
    # With memory://, each process would count only the forms it served itself: the limits would
    # be multiplied by the number of processes, and a sign-in lockout would hold in one of them.
    if processes > 1 and not storage_uri.startswith("redis"):
        raise ConfigError(f"HAVEN_RATELIMIT_STORAGE_URI must be a redis:// URL when {processes} processes serve "
                          "(WEB_CONCURRENCY); memory:// keeps a separate count in each")


def serving_settings(env) -> dict:
    """The production entry point's settings: production even when HAVEN_ENV is unset, with
    config.load's secrets and keys, and check_serving's settings besides."""
    haven_env = env.get("HAVEN_ENV", "production")
    if haven_env != "production":
        raise ConfigError(f"HAVEN_ENV is {haven_env!r}, but haven.wsgi serves production only "
                          "(leave HAVEN_ENV unset, or use `flask run` for development)")
    # Production generates nothing into the instance folder: every secret must be given.
    settings = load(PROJECT_ROOT / "instance", {**env, "HAVEN_ENV": "production"})
    check_serving(settings, env)
    return settings


def check_serving(settings: dict, env) -> None:
    """Refuse (ConfigError, one line) what config.load accepts in production but the public must
    not be served with: SQLite, an address that is not HTTPS, limits that processes do not share."""
    scheme = settings["DATABASE_URL"].split(":", 1)[0]
    if not scheme.startswith("postgres"):
        raise ConfigError(f"DATABASE_URL must be a PostgreSQL URL (postgresql://...) in production, not {scheme}")
    if not settings["PUBLIC_URL"].startswith("https://"):
        raise ConfigError("HAVEN_PUBLIC_URL must be set to Haven's https:// address in production")
    check_shared_limits(process_count(env), settings["RATELIMIT_STORAGE_URI"])


def check_content(content_dir: Path, loaded: dict[str, dict] | None, locales) -> None:
    """Refuse while `flask --app haven content check` fails in production: a placeholder, an
    unconfirmed target or a listing not checked would be shown to the public as it is."""
    from .services.content_check import check

    passes, lines = check(content_dir, True, loaded=loaded, locales=locales)
    if not passes:
        first = lines[0].split(": ", 1)[-1] if lines else "unknown"
        raise ConfigError(f"the content is not ready ({len(lines)} to do, first: {first}); "
                          "run `flask --app haven content check`")
