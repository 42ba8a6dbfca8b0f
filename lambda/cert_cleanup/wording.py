"""Words shared by every message the function writes (email, chat, Security Hub notes, reasons)."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 certificate``, ``2 certificates``: the count and the noun that agrees with it."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
