"""The public site: home, information pages, the forms and the quick exit."""
from . import referral_views  # noqa: F401  (registers the form routes on bp)
from .views import bp

__all__ = ["bp"]
