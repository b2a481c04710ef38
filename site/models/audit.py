import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

TABLE = "audit_event"
# The hash the first event chains to.
GENESIS = "0" * 64


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AuditEvent(Base):
    """Append-only record of who did what to which record, and when.

    Never holds personal data: `record_id` names a row, and the client address, when there is one,
    is an HMAC of it. The database refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) through
    the triggers below, and each row's `row_hash` chains it to the one before (`chain_hash`), so
    a row changed or removed by someone who got past the triggers shows in `audit verify`.
    """

    __tablename__ = TABLE
    # One INSERT per event, so the hook that chains an event (services/audit.py) sees the event
    # before it in the same flush.
    __mapper_args__ = {"batch": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[str | None] = mapped_column(String(400))
    client_hmac: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


def _utc_text(moment: datetime) -> str:
    # SQLite gives naive UTC back, PostgreSQL an aware datetime: both hash the same.
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def chain_hash(previous: str, *, at: datetime, actor: str, action: str, record_type: str | None,
               record_id: str | None, detail: str | None, client_hmac: str | None) -> str:
    """SHA-256 over the previous event's hash and every field of this one (the migration that
    filled the chain for older rows uses this too, so never change what it covers)."""
    fields = [previous, _utc_text(at), actor, action, record_type, record_id, detail, client_hmac]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def append_only_ddl(dialect: str, *, create: bool = True) -> list[str]:
    """The statements that make audit_event refuse changes (create) or stop refusing (drop).

    Used by migration 0006 and by nothing else but the test suite's cleanup between tests."""
    if dialect == "postgresql":
        if not create:
            return [f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
                    f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}",
                    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()"]
        return [
            f"CREATE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION USING MESSAGE = '{TABLE} is append-only: ' || TG_OP || ' refused'; END $$",
            f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()",
        ]
    if dialect == "sqlite":
        if not create:
            return [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]
        return [
            f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END",
            f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END",
        ]
    raise ValueError(f"no append-only triggers for {dialect}")
