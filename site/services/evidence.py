"""Evidence kept securely (Visual Evidence for Victims): a referral's photos and PDFs.

`attach` keeps the cleaned copy (services/evidence_files.py) encrypted, with its timeline entry and
audit event; `listing` says what there is from plain columns; `read` gives one back, audited and
committed before a byte of it leaves.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Evidence, Referral, StaffUser
from ..security.crypto import Keyring
from . import cases, targets
from .evidence_files import DEFAULT_MAX_BYTES, Cleaned, EvidenceError, clean, size_in_words, too_large

__all__ = ["CAPTION_LIMIT", "Cleaned", "EvidenceError", "Item", "attach", "clean", "listing", "read",
           "size_in_words", "too_large"]

TABLE = "evidence"
CAPTION_LIMIT = 200


@dataclass(frozen=True)
class Item:
    """One piece of evidence as the page lists it."""

    number: int  # 1 for the first attached to this referral: its download is evidence-1.<ext>
    public_id: str
    kind: str
    content_type: str
    size: int
    at: datetime
    uploaded_by: str | None
    caption: str | None = None
    name: str | None = None  # as it was sent, which may name someone: shown on the page only

    @property
    def size_in_words(self) -> str:
        return size_in_words(self.size)


def _seal(keyring: Keyring, item: Evidence, column: str, value: bytes) -> str:
    return keyring.encrypt_bytes(value, table=TABLE, column=column, row=item.public_id)


def _open(keyring: Keyring, item, column: str) -> bytes:
    return keyring.decrypt_bytes(getattr(item, column), table=TABLE, column=column, row=item.public_id)


def _filename(name: str | None) -> str:
    # Some browsers send the whole path the file came from; only its last part is the name.
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]


def attach(session: Session, keyring: Keyring, referral: Referral, actor: StaffUser, data: bytes,
           filename: str | None, caption: str | None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Evidence:
    caption = (caption or "").strip()
    if len(caption) > CAPTION_LIMIT:
        raise EvidenceError(f"Keep the caption to {CAPTION_LIMIT} characters or fewer")
    cleaned = clean(data, max_bytes=max_bytes)
    item = Evidence(public_id=str(uuid.uuid4()), referral_id=referral.id, uploaded_by_id=actor.id, at=cases._now(),
                    kind=cleaned.kind, content_type=cleaned.content_type, size=len(cleaned.data))
    item.data_enc = _seal(keyring, item, "data_enc", cleaned.data)
    if name := _filename(filename):
        item.name_enc = _seal(keyring, item, "name_enc", name.encode("utf-8"))
    if caption:
        item.caption_enc = _seal(keyring, item, "caption_enc", caption.encode("utf-8"))
    session.add(item)
    cases._event(session, None, referral, actor, "evidence")
    cases._audit(session, actor, "evidence_added", referral, detail=item.public_id)
    session.commit()
    return item


def listing(session: Session, referral: Referral, keyring: Keyring | None = None) -> list[Item]:
    """The referral's evidence, in the order attached. Plain columns only (never the file); with a
    keyring, on the referral's own page whose opening is audited, the caption and name too."""
    words = (Evidence.caption_enc, Evidence.name_enc) if keyring else ()
    rows = session.execute(
        select(Evidence.public_id, Evidence.kind, Evidence.content_type, Evidence.size, Evidence.at, StaffUser.email,
               *words)
        .outerjoin(StaffUser, StaffUser.id == Evidence.uploaded_by_id)
        .where(Evidence.referral_id == referral.id).order_by(Evidence.id)).all()
    items = []
    for number, row in enumerate(rows, start=1):
        said = {}
        if keyring:
            said = {name: _open(keyring, row, column).decode("utf-8") if getattr(row, column) else None
                    for name, column in (("caption", "caption_enc"), ("name", "name_enc"))}
        items.append(Item(number, row.public_id, row.kind, row.content_type, row.size, targets.aware(row.at),
                          row.email, **said))
    return items


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def read(session: Session, keyring: Keyring, referral: Referral, viewer: StaffUser,
         public_id: str) -> tuple[bytes, str, str] | None:
    """(the file, its type, the name to save it as: evidence-<n>.<ext>, never the name it was sent
    with), or None when the referral has no such evidence. The download is audited first."""
    item = session.scalar(select(Evidence).where(Evidence.referral_id == referral.id,
                                                 Evidence.public_id == public_id))
    if item is None:
        return None
    number = session.scalar(select(func.count(Evidence.id)).where(Evidence.referral_id == referral.id,
                                                                  Evidence.id <= item.id))
    sealed, content_type, row = item.data_enc, item.content_type, item.public_id
    cases._audit(session, viewer, "evidence_downloaded", referral, detail=row)
    session.commit()
    data = keyring.decrypt_bytes(sealed, table=TABLE, column="data_enc", row=row)
    return data, content_type, f"evidence-{number}.{EXTENSIONS[content_type]}"
