"""Words shared by every message the function writes (email, chat, Security Hub notes, reasons)."""

from __future__ import annotations

from datetime import datetime


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 certificate``, ``2 certificates``: the count and the noun that agrees with it."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def moment(when: datetime) -> str:
    """A time as every message writes it: ``2026-11-27 06:00 UTC`` (the run's times are UTC)."""
    return f"{when:%Y-%m-%d %H:%M} UTC"


def day(when: datetime) -> str:
    """A date as every message writes it: ``2026-11-27``."""
    return f"{when:%Y-%m-%d}"
