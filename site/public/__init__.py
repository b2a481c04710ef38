"""The public site: home, information pages, the forms and the quick exit."""
from . import directory_views, referral_views  # noqa: F401  (they register their routes on bp)
from . import feedback_views  # noqa: F401  (feedback after closure, WM 5.1: its routes on bp)
from .views import bp

__all__ = ["bp"]
