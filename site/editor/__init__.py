"""The listings editor, for the editor role."""
from .views import bp

__all__ = ["bp"]
