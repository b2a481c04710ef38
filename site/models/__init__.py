"""SQLAlchemy tables. Nothing here imports Flask."""
from .audit import AuditEvent
from .base import Base
from .listing import Listing, ListingRevision
from .referral import Referral
from .staff import RecoveryCode, SignInAttempt, StaffSession, StaffUser

__all__ = ["AuditEvent", "Base", "Listing", "ListingRevision", "RecoveryCode", "Referral", "SignInAttempt", "StaffSession", "StaffUser"]
