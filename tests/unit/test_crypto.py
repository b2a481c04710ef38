"""Field encryption: AES-256-GCM bound to table, column and row, with key rotation."""
from __future__ import annotations

import pytest

from haven.security.crypto import DecryptionError, KeyConfigError, Keyring, new_key_entry

WHERE = {"table": "referral", "column": "message_enc", "row": "row-1"}


@pytest.fixture
def keyring():
    return Keyring.parse(new_key_entry("k1"))


def test_round_trip_and_a_fresh_nonce_every_time(keyring):
    first = keyring.encrypt("ask for Sam", **WHERE)
    second = keyring.encrypt("ask for Sam", **WHERE)
    assert first != second and "Sam" not in first
    assert first.startswith("v1.k1.")
    assert keyring.decrypt(first, **WHERE) == "ask for Sam"


@pytest.mark.parametrize("moved", [{"row": "row-2"}, {"column": "name_enc"}, {"table": "audit_event"}])
def test_a_value_moved_to_another_row_or_column_does_not_decrypt(keyring, moved):
    sealed = keyring.encrypt("secret", **WHERE)
    with pytest.raises(DecryptionError):
        keyring.decrypt(sealed, **{**WHERE, **moved})


def test_tampering_is_detected(keyring):
    sealed = keyring.encrypt("secret", **WHERE)
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(DecryptionError):
        keyring.decrypt(tampered, **WHERE)


def test_old_keys_still_decrypt_and_the_newest_encrypts(keyring):
    old_entry = new_key_entry("k1")
    old = Keyring.parse(old_entry)
    sealed = old.encrypt("before rotation", **WHERE)
    both = Keyring.parse(f"{new_key_entry('k2')},{old_entry}")
    assert both.decrypt(sealed, **WHERE) == "before rotation"
    assert Keyring.key_id_of(both.encrypt("after", **WHERE)) == "k2"
    with pytest.raises(DecryptionError):
        Keyring.parse(new_key_entry("k2")).decrypt(sealed, **WHERE)


@pytest.mark.parametrize("setting", ["", "no-colon", "k1:short", "k 1:" + "A" * 43,
                                     f"{new_key_entry('a')},{new_key_entry('a')}"],
                         ids=["empty", "no-colon", "short", "space-in-id", "same-id-twice"])
def test_bad_key_settings_are_refused(setting):
    with pytest.raises(KeyConfigError):
        Keyring.parse(setting)
