"""The staff area: set-up, sign-in with a second factor, sign-out, accounts and the audit log."""
from . import account_views  # noqa: F401  (registers the self-service routes on bp)
from . import admin_views  # noqa: F401  (registers the admin routes on bp)
from . import case_views  # noqa: F401  (registers a referral's page and its actions on bp)
from . import casework_views  # noqa: F401  (registers the casework sections' actions on bp)
from . import evidence_views  # noqa: F401  (registers evidence kept securely: attach, download, on bp)
from . import feedback_views  # noqa: F401  (registers the feedback link after closure on bp)
from . import inbox_views  # noqa: F401  (registers the inbox on bp)
from . import retention_views  # noqa: F401  (registers legal holds on a referral, on bp)
from . import report_views  # noqa: F401  (registers the managers' reports on bp)
from . import review_views  # noqa: F401  (registers casework reviews and compliance audits on bp)
from .views import bp

__all__ = ["bp"]
