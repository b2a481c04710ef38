"""Every encrypted value rotates, Haven refuses to start on a missing key, and each use of
SECRET_KEY has its own derived key."""
from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from sqlalchemy import select

from haven import config, create_app, db
from haven.extensions import client_key
from haven.models import Base, Referral, StaffUser
from haven.security import crypto
from haven.security.crypto import Keyring, derive_key, new_key_entry
from haven.services import keys, referrals
from tests.helpers import intake, production_environ

OLD = new_key_entry("old")
NEW = new_key_entry("new")


def _store_referral_and_staff_secret(app, keyring: Keyring) -> tuple[str, int]:
    with app.app_context():
        session = db.session()
        referral = referrals.submit(session, keyring, referrals.Submission(
            kind="self", locale="en", token="t" * 20, name="Sam", contact={"methods": ["call"]},
            details={}, message="hello"), **intake(app)).referral
        user = StaffUser(email="worker@example.org", roles="caseworker", active=True)
        session.add(user)
        session.flush()
        user.totp_secret_enc = keyring.encrypt("JBSWY3DPEHPK3PXP", table="staff_user",
                                               column="totp_secret_enc", row=str(user.id))
        session.commit()
        return referral.public_id, user.id


def test_rotate_re_encrypts_staff_totp_secrets_too_so_the_old_key_can_go(app, runner):
    _, user_id = _store_referral_and_staff_secret(app, Keyring.parse(OLD))
    app.extensions["haven_keyring"] = Keyring.parse(f"{NEW},{OLD}")
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "1 referrals re-encrypted under new" in result.output
    assert "1 staff accounts re-encrypted under new" in result.output
    assert "older keys may now be removed" in result.output

    only_new = Keyring.parse(NEW)  # the old key removed, as the README says
    with app.app_context():
        user = db.session().get(StaffUser, user_id)
        assert only_new.decrypt(user.totp_secret_enc, table="staff_user", column="totp_secret_enc",
                                row=str(user.id)) == "JBSWY3DPEHPK3PXP"
        referral = db.session().scalars(select(Referral)).one()
        assert referrals.read(only_new, referral).message == "hello"
        assert keys.unknown_key_ids(db.session(), only_new) == {}
    again = runner.invoke(args=["keys", "rotate"])
    assert "0 referrals" in again.output and "0 staff accounts" in again.output


def test_every_encrypted_column_of_the_models_is_in_the_one_registry():
    registered = {(entry.table, column) for entry in keys.ENCRYPTED for column in entry.columns}
    in_models = {(table.name, column.name) for table in Base.metadata.sorted_tables
                 for column in table.columns if column.name.endswith("_enc")}
    assert in_models == registered


def test_haven_refuses_to_start_with_one_line_while_a_stored_key_is_missing(app, test_config, capsys):
    _store_referral_and_staff_secret(app, Keyring.parse(OLD))
    with pytest.raises(SystemExit) as exit_:
        create_app({**test_config, "CHECK_STORED_KEYS": True, "DATA_KEYS": NEW})
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("haven: refusing to start: stored values use key id(s) old ")
    assert "staff_user.totp_secret_enc" in err and "referral.name_enc" in err
    # With the old key back it starts.
    create_app({**test_config, "CHECK_STORED_KEYS": True, "DATA_KEYS": f"{NEW},{OLD}"})


def test_the_check_is_on_in_production_only(tmp_path):
    assert config.load(tmp_path, environ={})["CHECK_STORED_KEYS"] is False
    assert config.load(tmp_path, environ=production_environ(HAVEN_DATA_KEYS=NEW))["CHECK_STORED_KEYS"] is True


def test_keys_check_names_the_missing_key(app, runner):
    _store_referral_and_staff_secret(app, Keyring.parse(OLD))
    app.extensions["haven_keyring"] = Keyring.parse(NEW)
    result = runner.invoke(args=["keys", "check"])
    assert result.exit_code == 1 and "key id(s) old" in result.output
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 1  # cannot rotate without it
    app.extensions["haven_keyring"] = Keyring.parse(f"{NEW},{OLD}")
    result = runner.invoke(args=["keys", "check"])
    assert result.exit_code == 0 and "in use: old" in result.output


def test_the_client_address_hmac_uses_a_key_derived_for_it_not_secret_key(app):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        secret = app.config["SECRET_KEY"]
        plain = hmac.new(secret.encode(), b"192.0.2.7", hashlib.sha256).hexdigest()
        assert client_key() != plain
        expected = hmac.new(derive_key(secret, "client-address"), b"192.0.2.7", hashlib.sha256).hexdigest()
        assert client_key() == expected


def test_derived_keys_differ_by_purpose_and_refuse_unknown_ones():
    one, two = derive_key("s" * 40, "client-address"), derive_key("s" * 40, "intake-stamp")
    assert len(one) == 32 and one != two and one != ("s" * 40).encode()[:32]
    assert derive_key("t" * 40, "client-address") != one
    with pytest.raises(ValueError):
        derive_key("s" * 40, "typo")


def test_development_data_keys_are_created_private_not_chmod_ed_later(tmp_path, monkeypatch):
    monkeypatch.setattr(crypto.os, "chmod", lambda *a, **k: None)  # no fixing it up afterwards
    old_umask = os.umask(0)
    try:
        crypto.development_keys(tmp_path)
    finally:
        os.umask(old_umask)
    assert (tmp_path / "data_keys").stat().st_mode & 0o077 == 0
    Keyring.parse(crypto.development_keys(tmp_path))
