from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class EqualityResponse(Base):
    """One person's optional equality answers (whg 4.1), kept apart from her referral.

    Deliberately no link to the referral and no time of day: only the UK date the referral was
    received, so that reports can count a period's answers while nobody, staff or a database
    reader, can put a person's answers beside her words. Every column is a code from
    site/choices.py (EQUALITY_QUESTIONS), or None where she left the question unanswered.
    Nothing here names anyone, so a purge of closed referrals has nothing of hers to remove here.
    """

    __tablename__ = "equality_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    gender: Mapped[str | None] = mapped_column(String(24))
    age_band: Mapped[str | None] = mapped_column(String(24))
    disability: Mapped[str | None] = mapped_column(String(24))
    ethnic_group: Mapped[str | None] = mapped_column(String(24))
    sexual_orientation: Mapped[str | None] = mapped_column(String(24))
