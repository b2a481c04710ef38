"""SQLAlchemy tables. Nothing here imports Flask."""
from .audit import AuditEvent
from .base import Base
from .case import CaseEvent
from .equality import EqualityResponse
from .evidence import Evidence
from .feedback import Feedback, FeedbackLink
from .listing import Listing, ListingRevision, ListingsVersion
from .notice import NoticeOutbox
from .review import CaseReview, ReviewPoint, ReviewRound
from .referral import Referral, ReferralAnswer, ReferralBar
from .staff import RecoveryCode, SignInAttempt, StaffSession, StaffUser

__all__ = ["AuditEvent", "Base", "CaseEvent", "CaseReview", "EqualityResponse", "ReviewPoint", "ReviewRound", "Evidence", "Feedback", "FeedbackLink", "Listing", "ListingRevision", "ListingsVersion", "NoticeOutbox", "RecoveryCode", "Referral", "ReferralAnswer", "ReferralBar", "SignInAttempt", "StaffSession", "StaffUser"]
