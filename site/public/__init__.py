"""The public site: home, information pages and the quick exit."""
from .views import bp

__all__ = ["bp"]
