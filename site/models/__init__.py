"""SQLAlchemy tables. Nothing here imports Flask."""
from .audit import AuditEvent
from .base import Base
from .referral import Referral

__all__ = ["AuditEvent", "Base", "Referral"]
