"""Every value encrypted with the data keys, in one registry: rotation and the start-up check.

`ENCRYPTED` names each encrypted column and how its row is named in the associated data (see
security/crypto.py). A column added by a later issue is added here, and nowhere else: `keys
rotate` then re-encrypts it, and the start-up check looks at it (a test fails while any `*_enc`
column of the models is missing from this list).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from ..models import CaseEvent, CaseReview, Evidence, Feedback, Referral, StaffUser
from ..security.crypto import VERSION, Keyring
from . import referrals


@dataclass(frozen=True)
class Encrypted:
    model: type
    columns: tuple[str, ...]
    row: Callable[[object], str]  # the row's name in the associated data
    label: str  # for the operator: "3 referrals re-encrypted"
    batch: int | None = None  # fewer rows per transaction than rotate's own, for large values

    @property
    def table(self) -> str:
        return self.model.__tablename__


ENCRYPTED: tuple[Encrypted, ...] = (
    Encrypted(Referral, referrals.ENCRYPTED_COLUMNS, lambda referral: referral.public_id, "referrals"),
    Encrypted(StaffUser, ("totp_secret_enc",), lambda user: str(user.id), "staff accounts"),
    Encrypted(CaseEvent, ("body_enc",), lambda event: event.public_id, "case notes"),
    # A file is up to EVIDENCE_MAX_BYTES: a few at a time keeps rotation's memory small.
    Encrypted(Evidence, ("data_enc", "name_enc", "caption_enc"), lambda item: item.public_id, "evidence files",
              batch=5),
    Encrypted(Feedback, ("comment_enc",), lambda item: item.public_id, "feedback comments"),
    Encrypted(CaseReview, ("findings_enc", "actions_enc"), lambda review: review.public_id, "casework reviews"),
)


def _under(column, key_id: str):
    return column.startswith(f"{VERSION}.{key_id}.", autoescape=True)


def rotate(session: Session, keyring: Keyring, batch: int = 200) -> dict[str, int]:
    """Re-encrypt every value not under the newest key. Returns how many rows changed, per label.

    Rows are locked as they are read (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE holds
    the write lock), so a request changing the same row waits instead of being overwritten."""
    changed = {}
    for entry in ENCRYPTED:
        model, count, last_id = entry.model, 0, 0
        stale = or_(*(and_(getattr(model, c).is_not(None), ~_under(getattr(model, c), keyring.newest_id))
                      for c in entry.columns))
        while True:
            rows = session.scalars(select(model).where(model.id > last_id, stale).order_by(model.id)
                                   .limit(min(batch, entry.batch or batch)).with_for_update()).all()
            if not rows:
                session.commit()
                break
            for row in rows:
                last_id = row.id
                where = {"table": entry.table, "row": entry.row(row)}
                for column in entry.columns:
                    value = getattr(row, column)
                    if value is None or Keyring.key_id_of(value) == keyring.newest_id:
                        continue
                    # As bytes: the same for text, and an evidence file is not text.
                    plain = keyring.decrypt_bytes(value, column=column, **where)
                    setattr(row, column, keyring.encrypt_bytes(plain, column=column, **where))
                count += 1
            session.commit()
        changed[entry.label] = count
    return changed


def unknown_key_ids(session: Session, keyring: Keyring) -> dict[str, set[str]]:
    """Key ids that stored values use and the keyring lacks, by `table.column` (empty when none).

    One query per column, reading at most a few rows: every value under a configured key is
    excluded in the database. A table or column the schema does not have yet holds no values;
    a database that cannot be reached raises."""
    configured = [key_id for key_id, _ in keyring.keys]
    found: dict[str, set[str]] = {}
    inspector = inspect(session.connection())
    for entry in ENCRYPTED:
        if not inspector.has_table(entry.table):
            continue  # before `db upgrade`: nothing stored there yet
        present = {column["name"] for column in inspector.get_columns(entry.table)}
        for name in entry.columns:
            if name not in present:
                continue
            column = getattr(entry.model, name)
            values = session.scalars(select(column).where(
                column.is_not(None), ~or_(*(_under(column, k) for k in configured))).limit(20)).all()
            ids = set()
            for value in values:
                try:
                    ids.add(Keyring.key_id_of(value))
                except IndexError:
                    ids.add("(not a Haven ciphertext)")
            if ids:
                found[f"{entry.table}.{name}"] = ids
    session.rollback()
    return found


def problem(session: Session, keyring: Keyring) -> str | None:
    """One line saying why Haven must not start with these keys, or None."""
    found = unknown_key_ids(session, keyring)
    if not found:
        return None
    ids = sorted(set().union(*found.values()))
    return (f"stored values use key id(s) {', '.join(ids)} that HAVEN_DATA_KEYS does not hold "
            f"(in {', '.join(sorted(found))}): put the key(s) back, then run `keys rotate`")


def in_use(session: Session, keyring: Keyring) -> list[str]:
    """The configured key ids that stored values still use, newest first."""
    used = []
    for key_id, _ in keyring.keys:
        for entry in ENCRYPTED:
            if any(session.scalar(select(getattr(entry.model, c)).where(_under(getattr(entry.model, c), key_id))
                                  .limit(1)) is not None for c in entry.columns):
                used.append(key_id)
                break
    session.rollback()
    return used
