"""How every message words the successor of an expired certificate in use (succession.py names it): pure."""

from __future__ import annotations

from cert_cleanup.models import CertificateResult


def lines(row: CertificateResult) -> list[str]:
    """One line per distinct outcome, each naming the resources it concerns when they differ."""
    by_text: dict[str, list[str]] = {}
    for successor in row.successors:
        by_text.setdefault(successor.text(), []).append(successor.used_by)
    if len(by_text) == 1:
        return [f"successor: {text}" for text in by_text]
    return [f"on {', '.join(users)}: {text}" for text, users in by_text.items()]


def short(row: CertificateResult) -> str:
    """The outcome in one clause, for the Security Hub note and the chat post: the first named successor, else the
    first outcome; "" when there is none."""
    named = [successor for successor in row.successors if successor.arn]
    chosen = named[:1] or list(row.successors[:1])
    if not chosen:
        return ""
    more = len({successor.text() for successor in row.successors}) - 1
    return chosen[0].text() + (f" (and {more} other outcome{'s' if more > 1 else ''})" if more > 0 else "")
