"""Settings: safe development defaults, and production refuses to start without its secrets."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from haven import config
from tests.helpers import production_environ


def test_development_defaults_need_no_settings(tmp_path):
    settings = config.load(tmp_path, environ={})
    assert settings["HAVEN_ENV"] == "development"
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'haven.sqlite3'}"
    assert len(settings["SECRET_KEY"]) >= 32
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["MAX_CONTENT_LENGTH"] > 0


def test_development_secret_is_generated_once_and_kept_private(tmp_path):
    first = config.load(tmp_path, environ={})["SECRET_KEY"]
    assert config.load(tmp_path, environ={})["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


PRODUCTION = production_environ()


def without(key, **changes):
    return {**{k: v for k, v in PRODUCTION.items() if k != key}, **changes}


def test_production_starts_with_every_setting(tmp_path):
    assert config.load(tmp_path, environ=PRODUCTION)["PRODUCTION"] is True


@pytest.mark.parametrize("environ, reason", [
    (without("SECRET_KEY"), "SECRET_KEY"),
    (without("SECRET_KEY", SECRET_KEY="short"), "SECRET_KEY"),
    (without("DATABASE_URL"), "DATABASE_URL"),
    (without("HAVEN_DATA_KEYS"), "HAVEN_DATA_KEYS"),
    (without("HAVEN_DATA_KEYS", HAVEN_DATA_KEYS="k1:tooshort"), "32 bytes"),
    (without("HAVEN_STAFF_INBOX_EMAIL"), "HAVEN_STAFF_INBOX_EMAIL"),
    (without("HAVEN_MATCH_KEY"), "HAVEN_MATCH_KEY"),
    (without("HAVEN_MATCH_KEY", HAVEN_MATCH_KEY="short"), "HAVEN_MATCH_KEY"),
    ({"HAVEN_ENV": "staging"}, "HAVEN_ENV"),
])
def test_production_refuses_bad_settings(tmp_path, environ, reason):
    with pytest.raises(config.ConfigError, match=reason):
        config.load(tmp_path, environ=environ)


def test_production_start_without_secret_fails_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(HAVEN_ENV="production", HAVEN_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "haven", "routes"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "haven: refusing to start: SECRET_KEY must be set to at least 32 random characters in production")


def test_set_up_links_last_24_hours_by_default(tmp_path):
    assert config.load(tmp_path, environ={})["STAFF_SETUP_LINK_HOURS"] == 24
