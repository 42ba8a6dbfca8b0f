"""The organization's daily digest: every member's latest result in one email and one report. No AWS calls.

Members publish their run result (JSON) to the central topic; a queue collects them; once a day the digest
reads the queue, writes the full report (JSON and CSV) and emails people one summary: the accounts that need a
person first, then what was done for them, then how many had nothing to do.

It is built for thousands of accounts: each result is folded into a small per-account summary as it is read,
and only the latest result of each account is kept, compressed, for the report, which is written row by row to
a file. Every section of the email is bounded; the report has the rest.
"""

from __future__ import annotations

import csv
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from cert_cleanup.config import names
from cert_cleanup.models import Action
from cert_cleanup.notify.message import account_name, bullets, subject_line
from cert_cleanup.wording import moment, plural

REPORT_COLUMNS = (
    "account",
    "account_label",
    "run_id",
    "started_at",
    "name",
    "arn",
    "expiration",
    "action",
    "reason",
    "used_by",
)
# What an account needs from a person, most urgent first.
# Members' results are JSON: actions are read as their values (a member may run another version).
INCIDENT = Action.IN_USE.value
UNCHECKED = "unchecked"  # failed or not proven unused, and failed lookups
NEEDS_A_PERSON = (INCIDENT, UNCHECKED, Action.EXPIRING_SOON.value, Action.WOULD_DELETE.value)
DONE = Action.DELETED.value
# The email's bounds: accounts per section, in-use certificates per account. The report lists everything.
SECTION_LIMIT = 50
IN_USE_LINES = 3
USERS_PER_LINE = 3


def fact(kind: str, count: int) -> str:
    """``count`` of ``kind`` as a person reads it: "1 expired certificate in use", "2 expiring soon"."""
    if kind == INCIDENT:
        return f"{plural(count, 'expired certificate')} in use"
    if kind == UNCHECKED:
        return f"{count} failed or unchecked"
    if kind == Action.WOULD_DELETE.value:
        return f"{count} would be deleted (dry run)"
    return f"{count} {kind.replace('_', ' ')}"


def needs(counts: dict[str, int], errors: int) -> dict[str, int]:
    """How much of each kind an account needs from a person, in NEEDS_A_PERSON order (zero: none)."""
    values = (
        counts.get(Action.IN_USE.value, 0),
        counts.get(Action.FAILED.value, 0) + counts.get(Action.USAGE_UNKNOWN.value, 0) + errors,
        counts.get(Action.EXPIRING_SOON.value, 0),
        counts.get(Action.WOULD_DELETE.value, 0),
    )
    return dict(zip(NEEDS_A_PERSON, values, strict=True))


class NotAResult(ValueError):
    """A queued message that is not a member's run result."""


@dataclass
class AccountReport:
    """One member account: its latest result (compressed) and what the email needs of it, and every certificate
    any of its queued runs deleted."""

    account: str
    label: str | None
    run_id: str
    started_at: str
    counts: dict[str, int]
    errors: int
    in_use: list[dict[str, Any]]  # the latest run's in-use rows, trimmed to what the email shows
    latest: bytes  # the latest result's JSON, zlib-compressed: read again only to write the report
    runs: int = 1
    deleted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> dict[str, int]:
        """The latest counts, with every queued run's deletions."""
        return {**self.counts, DONE: len(self.deleted)}

    def kinds(self) -> list[str]:
        return [kind for kind, value in needs(self.total, self.errors).items() if value]

    def document(self) -> dict[str, Any]:
        return dict(json.loads(zlib.decompress(self.latest)))

    def rows(self) -> Iterator[dict[str, Any]]:
        """The latest state of each certificate, then those an earlier queued run deleted."""
        latest = self.document()
        names = set()
        for row in latest.get("certificates", []):
            names.add(row["name"])
            yield dict(row, run_id=latest["run_id"], started_at=latest["started_at"])
        yield from (row for row in self.deleted if row["name"] not in names)


@dataclass
class Digest:
    accounts: list[AccountReport]
    rejected: int
    now: datetime
    left_queued: int = 0  # results not read this time (about), said in the email

    def needing_a_person(self) -> list[AccountReport]:
        def urgency(report: AccountReport) -> tuple[int, str]:
            return NEEDS_A_PERSON.index(report.kinds()[0]), report.account

        return sorted((report for report in self.accounts if report.kinds()), key=urgency)

    def done_for_them(self) -> list[AccountReport]:
        """Accounts whose only news is what was deleted: nothing for a person to do."""
        return [report for report in self.accounts if not report.kinds() and report.deleted]

    def incidents(self) -> int:
        """Accounts with an expired certificate still in use."""
        return sum(1 for report in self.accounts if INCIDENT in report.kinds())

    def quiet(self) -> list[AccountReport]:
        return [report for report in self.accounts if not report.kinds() and not report.deleted]


class Collector:
    """Folds member results into one AccountReport per account, one message at a time."""

    def __init__(self) -> None:
        self.accounts: dict[str, AccountReport] = {}
        self.rejected = 0

    def add(self, body: str) -> str | None:
        """Fold one queued message in; a message that is not a run result is counted and why is returned."""
        try:
            self._add(body)
        except NotAResult as exc:
            self.rejected += 1
            return str(exc)
        return None

    def _add(self, body: str) -> None:
        document = parse_result(body)
        deleted = [_row(document, row) for row in document.get("certificates", []) if row.get("action") == DONE]
        account = str(document["account"])
        report = self.accounts.get(account)
        if report is None:
            self.accounts[account] = _report(document, body, deleted)
            return
        report.runs += 1
        report.deleted.extend(deleted)
        if str(document["started_at"]) > report.started_at:  # the latest run gives the state
            newer = _report(document, body, [])
            newer.label = newer.label or report.label
            newer.runs, newer.deleted = report.runs, report.deleted
            self.accounts[account] = newer
        else:
            report.label = report.label or document.get("account_label")

    def digest(self, now: datetime, *, left_queued: int = 0) -> Digest:
        accounts = sorted(self.accounts.values(), key=lambda item: item.account)
        return Digest(accounts, self.rejected, now, left_queued)


def _row(document: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return dict(row, run_id=document["run_id"], started_at=document["started_at"])


def _report(document: dict[str, Any], body: str, deleted: list[dict[str, Any]]) -> AccountReport:
    rows = [row for row in document.get("certificates", []) if row.get("action") == INCIDENT]
    return AccountReport(
        account=str(document["account"]),
        label=document.get("account_label"),
        run_id=str(document["run_id"]),
        started_at=str(document["started_at"]),
        counts={key: int(value) for key, value in document["counts"].items()},
        errors=len(document.get("errors", [])),
        in_use=[
            {
                "name": row["name"],
                "expiration": row["expiration"],
                "used_by": row.get("used_by", [])[:USERS_PER_LINE],
                "users": len(row.get("used_by", [])),
            }
            for row in rows[:IN_USE_LINES]
        ],
        latest=zlib.compress(body.encode()),
        deleted=deleted,
    )


def parse_result(body: str) -> dict[str, Any]:
    """A member's run result from a queued message body (raw delivery: the JSON itself)."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise NotAResult(f"not JSON: {exc}") from exc
    if not isinstance(document, dict) or not {"account", "run_id", "started_at", "counts"} <= document.keys():
        raise NotAResult("not a cert-cleanup run result")
    if not isinstance(document["counts"], dict):
        raise NotAResult("not a cert-cleanup run result: counts is not an object")
    return document


def build(bodies: list[str], *, now: datetime) -> Digest:
    """The digest of ``bodies`` (queued messages), each folded in as the digest function does."""
    collector = Collector()
    for body in bodies:
        collector.add(body)
    return collector.digest(now)


def write_json(digest: Digest, out: TextIO) -> None:
    """The report as one JSON document, written an account at a time."""
    out.write(f'{{"generated_at": {json.dumps(digest.now.isoformat())}, "rejected_messages": {digest.rejected}, ')
    out.write(f'"left_queued": {digest.left_queued}, "accounts": [\n')
    for index, report in enumerate(digest.accounts):
        latest = report.document()
        entry = {
            "account": report.account,
            "account_label": report.label,
            "runs": report.runs,
            "needs": report.kinds(),
            "counts": report.total,
            "errors": latest.get("errors", []),
            "latest_run": report.run_id,
            "certificates": list(report.rows()),
        }
        out.write(("," if index else "") + json.dumps(entry) + "\n")
    out.write("]}\n")


def write_csv(digest: Digest, out: TextIO) -> None:
    """One row per certificate per account."""
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for report in digest.accounts:
        for row in report.rows():
            writer.writerow(
                {
                    **row,
                    "account": report.account,
                    "account_label": report.label or "",
                    "used_by": " ".join(row.get("used_by", [])),
                }
            )


def subject(digest: Digest) -> str:
    needing = digest.needing_a_person()
    incidents = digest.incidents()
    need = f"{len(needing)} {'needs' if len(needing) == 1 else 'need'} a person"
    parts = [
        f"{need} ({incidents} with expired certificates in use)" if incidents else need,
        f"{len(digest.done_for_them())} cleaned up",
        f"{len(digest.quiet())} quiet",
    ]
    where = f"of {plural(len(digest.accounts), 'account')}"
    return subject_line("cert-cleanup digest", where, parts, incident=bool(incidents), drop_parts=True)


def _name(report: AccountReport) -> str:
    return account_name(report.account, report.label)


def _needing_lines(report: AccountReport) -> str:
    """The account and what it needs, then its expired certificates still in use (the first few)."""
    facts = [fact(kind, value) for kind, value in needs(report.total, report.errors).items() if value]
    if report.deleted:
        facts.append(fact(DONE, len(report.deleted)))
    lines = [f"{_name(report)}: {', '.join(facts)}"]
    for row in report.in_use:
        users = ", ".join(row["used_by"])
        if row["users"] > len(row["used_by"]):
            users += f" and {row['users'] - len(row['used_by'])} more"
        lines.append(f"      {row['name']} expired {row['expiration'][:10]}, used by {users}")
    hidden = report.total.get(INCIDENT, 0) - len(report.in_use)
    if hidden > 0:
        lines.append(f"      ... and {plural(hidden, 'more certificate')} in use (see the report)")
    return "\n".join(lines)


def _done_line(report: AccountReport) -> str:
    return f"{_name(report)}: {fact(DONE, len(report.deleted))}"


def email_text(digest: Digest, *, report_links: list[str]) -> str:
    """What a person reads: bounded whatever the number of accounts (the report has everything)."""
    needing, done = digest.needing_a_person(), digest.done_for_them()
    lines = [
        f"IAM server certificate clean-up across the organization, {moment(digest.now)}.",
        f"{plural(len(digest.accounts), 'account')} reported since the last digest.",
        "",
    ]
    if digest.left_queued:
        lines += [
            f"NOT ALL RESULTS WERE READ: about {plural(digest.left_queued, 'result')} stay queued for the next "
            f"digest (this one stopped reading to finish in time). Nothing is lost; they are kept "
            f"{names.DIGEST_QUEUE_RETENTION_DAYS} days.",
            "",
        ]
    if needing:
        lines.append(f"Accounts that need a person ({len(needing)}), most urgent first:")
        lines.extend(bullets(needing, SECTION_LIMIT, _needing_lines, see=" (see the report)"))
        lines.append("")
    if done:
        lines.append(f"Cleaned up for them, no action needed ({len(done)}):")
        lines.extend(bullets(done, SECTION_LIMIT, _done_line, see=" (see the report)"))
        lines.append("")
    lines.append(f"Quiet accounts (nothing deleted, nothing expired or expiring soon): {len(digest.quiet())}.")
    if digest.rejected:
        lines.append(f"Messages that were not a cert-cleanup result (dropped): {digest.rejected}.")
    lines.append("")
    lines.append("Full report (one row per certificate per account):")
    lines.extend(f"  {link}" for link in report_links)
    return "\n".join(lines)
