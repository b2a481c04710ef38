from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Listing(Base):
    """A support service in the directory. `document` is the whole listing as services.listings
    defines it (validated before it is stored); `state` decides whether residents see it."""

    __tablename__ = "listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    document: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revisions: Mapped[list["ListingRevision"]] = relationship(
        back_populates="listing", order_by="ListingRevision.number", cascade="all, delete-orphan")


class ListingRevision(Base):
    """Every save, publish, retire, check and revert: the listing as it was then, who, and when.
    Never changed after it is written."""

    __tablename__ = "listing_revision"
    __table_args__ = (UniqueConstraint("listing_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    listing: Mapped[Listing] = relationship(back_populates="revisions")


class ListingsVersion(Base):
    """One row: a number raised in the same transaction as every change residents could see in the
    listings (services.listing_store). Each process compares it with the number its rendered public
    pages were made from (public/cache.py), so an editor's change reaches every process and host."""

    __tablename__ = "listings_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
