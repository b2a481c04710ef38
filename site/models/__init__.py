"""SQLAlchemy tables. Nothing here imports Flask."""
from .audit import AuditEvent
from .base import Base
from .case import CaseEvent
from .evidence import Evidence
from .feedback import Feedback, FeedbackLink
from .listing import Listing, ListingRevision, ListingsVersion
from .review import CaseReview, ReviewPoint, ReviewRound
from .referral import Referral, ReferralAnswer, ReferralBar
from .staff import RecoveryCode, SignInAttempt, StaffSession, StaffUser

__all__ = ["AuditEvent", "Base", "CaseEvent", "CaseReview", "ReviewPoint", "ReviewRound", "Evidence", "Feedback", "FeedbackLink", "Listing", "ListingRevision", "ListingsVersion", "RecoveryCode", "Referral", "ReferralAnswer", "ReferralBar", "SignInAttempt", "StaffSession", "StaffUser"]
