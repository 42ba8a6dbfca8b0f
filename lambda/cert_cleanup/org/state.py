"""What the digest holds from one digest to the next, per account: its latest believed result (run id, start)
and since when the organization has listed it. No AWS calls: ``job`` reads and writes it as one S3 object.

It is what makes "latest" unpinnable across digests (a result older than the one held is not believed) and an
account that stops reporting visible (no believed result for longer than a run interval).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

VERSION = 1
# How long after a run interval an account is still not "not reporting": a run and its delivery take minutes, and
# a member's schedule may fall just after the digest's.
SILENCE_SLACK = timedelta(hours=1)


class StateUnreadable(ValueError):
    """The state object is not one this code wrote."""


@dataclass
class Held:
    """One account as the digest last knew it."""

    run_id: str | None = None
    started_at: datetime | None = None  # the latest believed result's start
    listed_since: datetime | None = None  # first digest that found it in the targeted OUs


@dataclass(frozen=True)
class Silent:
    """An account with no believed result for more than a run interval."""

    account: str
    last_result: datetime | None  # None: never reported (listed since ``since``)
    since: datetime

    def as_dict(self) -> dict[str, str | None]:
        return {
            "account": self.account,
            "last_result": self.last_result.isoformat() if self.last_result else None,
            "silent_since": self.since.isoformat(),
        }


@dataclass
class State:
    accounts: dict[str, Held] = field(default_factory=dict)

    @classmethod
    def load(cls, data: bytes | None) -> State:
        """The state an object holds; ``None`` (no object yet, the first digest): nothing held."""
        if data is None:
            return cls()
        try:
            document = json.loads(data)
            if document.get("version") != VERSION:
                raise StateUnreadable(f"state version {document.get('version')!r}, expected {VERSION}")
            return cls(
                {
                    str(account): Held(
                        run_id=entry.get("run_id"),
                        started_at=_time(entry.get("started_at")),
                        listed_since=_time(entry.get("listed_since")),
                    )
                    for account, entry in document["accounts"].items()
                }
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateUnreadable(f"digest state unreadable: {exc}") from exc

    def dump(self) -> bytes:
        accounts = {
            account: {
                "run_id": held.run_id,
                "started_at": _text(held.started_at),
                "listed_since": _text(held.listed_since),
            }
            for account, held in sorted(self.accounts.items())
        }
        return json.dumps({"version": VERSION, "accounts": accounts}, separators=(",", ":")).encode()

    def believed(self, account: str, run_id: str, started_at: datetime) -> None:
        """A believed result: the account's latest if it started after the one held."""
        held = self.accounts.setdefault(account, Held())
        if held.started_at is None or started_at > held.started_at:
            held.run_id, held.started_at = run_id, started_at

    def silent(self, now: datetime, interval: timedelta, listed: set[str] | None) -> list[Silent]:
        """The accounts that should report and have not for more than ``interval`` (plus SILENCE_SLACK).

        ``listed``: the targeted OUs' active accounts, or None when they could not be listed, in which case the
        accounts that reported before are the ones expected. An account newly listed is expected from now; one
        no longer listed (it left the OUs, its stack went with it) is forgotten.
        """
        if listed is not None:
            for account in listed:
                held = self.accounts.setdefault(account, Held())
                held.listed_since = held.listed_since or now
            for account in set(self.accounts) - listed:
                del self.accounts[account]
        quiet = []
        for account, held in sorted(self.accounts.items()):
            since = held.started_at or held.listed_since
            if since is not None and now - since > interval + SILENCE_SLACK:
                quiet.append(Silent(account, held.started_at, since))
        return quiet


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return moment


def _text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
