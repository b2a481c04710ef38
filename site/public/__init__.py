"""The public site: home, information pages, the forms and the quick exit."""
from . import directory_views, referral_views  # noqa: F401  (they register their routes on bp)
from .views import bp

__all__ = ["bp"]
