"""Field-level encryption: AES-256-GCM with key identifiers, bound to table, column and row.

A stored value reads `v1.<key id>.<base64url(nonce + ciphertext)>`. The associated data
`<table>.<column>.<row id>` means a ciphertext copied into another row or column fails to decrypt
instead of silently showing the wrong person's data. Keys come from HAVEN_DATA_KEYS as
`id:base64key` pairs separated by commas, the first one newest: it encrypts, all of them decrypt,
and `flask --app haven keys rotate` re-encrypts everything under the newest (services/keys.py
lists every encrypted column). `derive_key` gives each other use of SECRET_KEY its own key.
This module is the only user of `cryptography`.
"""
from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyConfigError(ValueError):
    """The key settings are unusable (the message says why, without any key material)."""


class DecryptionError(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key_entry(key_id: str) -> str:
    return f"{key_id}:{_b64(AESGCM.generate_key(bit_length=256))}"


@dataclass(frozen=True)
class Keyring:
    keys: tuple[tuple[str, bytes], ...]  # (id, key), newest first

    @classmethod
    def parse(cls, setting: str) -> "Keyring":
        keys = []
        for entry in filter(None, (part.strip() for part in setting.split(","))):
            key_id, _, encoded = entry.partition(":")
            if not _KEY_ID.match(key_id):
                raise KeyConfigError("HAVEN_DATA_KEYS: each entry must be id:base64key (id of letters, digits, - or _)")
            try:
                key = _unb64(encoded)
            except ValueError:
                raise KeyConfigError(f"HAVEN_DATA_KEYS: key {key_id} is not base64") from None
            if len(key) != 32:
                raise KeyConfigError(f"HAVEN_DATA_KEYS: key {key_id} must be 32 bytes (AES-256)")
            keys.append((key_id, key))
        if not keys:
            raise KeyConfigError("HAVEN_DATA_KEYS must hold at least one key")
        if len({key_id for key_id, _ in keys}) != len(keys):
            raise KeyConfigError("HAVEN_DATA_KEYS: key ids must be unique")
        return cls(tuple(keys))

    @property
    def newest_id(self) -> str:
        return self.keys[0][0]

    def _key(self, key_id: str) -> bytes:
        for candidate, key in self.keys:
            if candidate == key_id:
                return key
        raise DecryptionError(f"no key with id {key_id}")

    def encrypt(self, plaintext: str, *, table: str, column: str, row: str) -> str:
        return self.encrypt_bytes(plaintext.encode("utf-8"), table=table, column=column, row=row)

    def decrypt(self, token: str, *, table: str, column: str, row: str) -> str:
        return self.decrypt_bytes(token, table=table, column=column, row=row).decode("utf-8")

    # Text is its UTF-8 bytes, so one stored format serves both, and rotation (services/keys.py)
    # can re-encrypt any column as bytes without knowing what it holds (an evidence photo is not text).
    def encrypt_bytes(self, plaintext: bytes, *, table: str, column: str, row: str) -> str:
        key_id, key = self.keys[0]
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext, _aad(table, column, row))
        return f"{VERSION}.{key_id}.{_b64(nonce + sealed)}"

    def decrypt_bytes(self, token: str, *, table: str, column: str, row: str) -> bytes:
        try:
            version, key_id, payload = token.split(".", 2)
            if version != VERSION:
                raise DecryptionError(f"unknown format {version}")
            data = _unb64(payload)
            return AESGCM(self._key(key_id)).decrypt(data[:12], data[12:], _aad(table, column, row))
        except (ValueError, InvalidTag) as error:
            raise DecryptionError("value cannot be decrypted here") from error

    @staticmethod
    def key_id_of(token: str) -> str:
        return token.split(".", 2)[1]


def _aad(table: str, column: str, row: str) -> bytes:
    return f"{table}.{column}.{row}".encode()


def development_keys(instance_path: Path) -> str:
    """Generated once into instance/, like the development secret key, and never committed."""
    key_file = Path(instance_path) / "data_keys"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        # Created with mode 0600 from the start: there is no moment when others could read it.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_key_entry("dev1"))
    return key_file.read_text().strip()


# Every use of SECRET_KEY beyond Flask's own (session and CSRF signing) gets its own key derived
# from it, so a key that leaks from one use opens nothing else. Add a purpose here to use one.
PURPOSES = frozenset({"client-address", "intake-stamp"})


@lru_cache(maxsize=32)
def derive_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose, by HKDF-SHA256 from the application secret."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"haven/{purpose}".encode()).derive(secret.encode("utf-8"))
