"""SQLAlchemy tables. Nothing here imports Flask."""
from .audit import AuditEvent
from .base import Base
from .case import CaseEvent
from .evidence import Evidence
from .listing import Listing, ListingRevision
from .referral import Referral, ReferralBar
from .staff import RecoveryCode, SignInAttempt, StaffSession, StaffUser

__all__ = ["AuditEvent", "Base", "CaseEvent", "Evidence", "Listing", "ListingRevision", "RecoveryCode", "Referral", "ReferralBar", "SignInAttempt", "StaffSession", "StaffUser"]
