"""SQLAlchemy tables. Nothing here imports Flask."""
from .audit import AuditEvent
from .base import Base

__all__ = ["AuditEvent", "Base"]
