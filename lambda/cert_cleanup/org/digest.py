"""The organization's daily digest: every member's latest result in one email and one report. No AWS calls.

Members put their run result (JSON) on the central event bus; a rule delivers each event to a queue; once a day
the digest reads the queue, writes the full report (JSON and CSV) and emails people one summary: the accounts that
need a person first, then what was done for them, then how many had nothing to do.

Each result is attributed to the account EventBridge says sent it (the event's ``account``, which no sender can
set), never to the account its body claims. A result that claims another account, is dated in the future, or is
older than the one already held is not believed: it changes nothing of any account's state, and the digest names
it. Accounts that should report and have not for more than a run interval are listed as not reporting.

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
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from cert_cleanup.config import names
from cert_cleanup.models import Action
from cert_cleanup.notify.message import account_name, bullets, subject_line
from cert_cleanup.org.state import Silent, State
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
# A result dated later than this after the digest's clock is not believed (clocks of AWS hosts agree far better).
CLOCK_SKEW = timedelta(minutes=5)
# Why a result was not believed: each changes nothing of the account's state and is named in the digest.
FORGED = "claimed to be another account"
FUTURE = "dated in the future"
OLDER = "older than the result already held"


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


@dataclass(frozen=True)
class Refusal:
    """A result not believed: ``sender`` is the account EventBridge says put it on the bus."""

    sender: str
    claimed: str
    why: str
    run_id: str
    started_at: str

    def as_dict(self) -> dict[str, str]:
        return {
            "sender": self.sender,
            "claimed_account": self.claimed,
            "why": self.why,
            "run_id": self.run_id,
            "started_at": self.started_at,
        }


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
    run_ids: set[str] = field(default_factory=set)  # every run folded in: a redelivered one is not counted again

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
    refused: list[Refusal] = field(default_factory=list)  # results not believed, named in the email
    duplicates: int = 0  # redeliveries of a run already folded in
    silent: list[Silent] = field(default_factory=list)  # accounts not reporting
    warnings: list[str] = field(default_factory=list)  # what the digest could not do (listing the accounts...)

    def refused_by_sender(self) -> list[tuple[str, str, list[Refusal]]]:
        """Results not believed, grouped by (sender, why), the most first."""
        groups: dict[tuple[str, str], list[Refusal]] = {}
        for refusal in self.refused:
            groups.setdefault((refusal.sender, refusal.why), []).append(refusal)
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
        return [(sender, why, items) for (sender, why), items in ordered]

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
    """Folds member results into one AccountReport per account, one message at a time.

    ``state`` is what the previous digests held (each account's latest believed run); believed results update it.
    """

    def __init__(self, now: datetime | None = None, state: State | None = None) -> None:
        self.accounts: dict[str, AccountReport] = {}
        self.rejected = 0
        self.refused: list[Refusal] = []
        self.duplicates = 0
        self.now = now
        self.state = state if state is not None else State()
        # What earlier digests believed (the state changes as this one believes results)
        self.held = {account: (held.run_id, held.started_at) for account, held in self.state.accounts.items()}

    def add(self, body: str) -> str | None:
        """Fold one queued message in; a message that is not a run result is counted and why is returned."""
        try:
            self._add(body)
        except NotAResult as exc:
            self.rejected += 1
            return str(exc)
        return None

    def _add(self, body: str) -> None:
        sender, document = parse_event(body)
        claimed = str(document["account"])
        started = _moment(document["started_at"], "started_at")
        finished = _moment(document["finished_at"], "finished_at") if document.get("finished_at") else started
        held_run, held_start = self.held.get(sender, (None, None))
        why = None
        if claimed != sender:
            why = FORGED
        elif self.now is not None and max(started, finished) > self.now + CLOCK_SKEW:
            why = FUTURE
        elif held_start is not None and started < held_start:
            why = OLDER
        if why is not None:
            self.refused.append(Refusal(sender, claimed, why, str(document["run_id"]), str(document["started_at"])))
            return
        run_id = str(document["run_id"])
        report = self.accounts.get(sender)
        if (report is not None and run_id in report.run_ids) or held_run == run_id:
            self.duplicates += 1  # the same run delivered again (here, or already in an earlier digest)
            return
        detail = json.dumps(document)
        deleted = [_row(document, row) for row in document.get("certificates", []) if row.get("action") == DONE]
        self.state.believed(sender, run_id, started)
        if report is None:
            self.accounts[sender] = _report(document, detail, deleted)
            return
        report.runs += 1
        report.run_ids.add(run_id)
        known = {(row["run_id"], row.get("arn", row["name"])) for row in report.deleted}
        report.deleted.extend(row for row in deleted if (row["run_id"], row.get("arn", row["name"])) not in known)
        if _moment(report.started_at, "started_at") < started:  # the latest run gives the state
            newer = _report(document, detail, [])
            newer.label = newer.label or report.label
            newer.runs, newer.deleted, newer.run_ids = report.runs, report.deleted, report.run_ids
            self.accounts[sender] = newer
        else:
            report.label = report.label or document.get("account_label")

    def digest(
        self,
        now: datetime,
        *,
        left_queued: int = 0,
        silent: list[Silent] | None = None,
        warnings: list[str] | None = None,
    ) -> Digest:
        accounts = sorted(self.accounts.values(), key=lambda item: item.account)
        return Digest(
            accounts,
            self.rejected,
            now,
            left_queued,
            refused=list(self.refused),
            duplicates=self.duplicates,
            silent=list(silent or []),
            warnings=list(warnings or []),
        )


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
        run_ids={str(document["run_id"])},
    )


def parse_event(body: str) -> tuple[str, dict[str, Any]]:
    """The sender and the run result of a queued message: the EventBridge event the bus's rule delivered.

    The sender is the event's ``account``, which EventBridge sets to the account that put the event (EventBridge
    User Guide, "Sending and receiving events between AWS accounts"); a message without it (a result sent any
    other way) cannot be attributed, and is not a result.
    """
    try:
        event = json.loads(body)
    except json.JSONDecodeError as exc:
        raise NotAResult(f"not JSON: {exc}") from exc
    if not isinstance(event, dict) or (event.get("source"), event.get("detail-type")) != (
        names.RESULT_EVENT_SOURCE,
        names.RESULT_DETAIL_TYPE,
    ):
        raise NotAResult("not a cert-cleanup result event from the organization's bus (no sender to attribute)")
    sender = event.get("account")
    if not isinstance(sender, str) or not (len(sender) == 12 and sender.isdigit()):
        raise NotAResult(f"event without a sender account: {sender!r}")
    return sender, _result(event.get("detail"))


def parse_result(body: str) -> dict[str, Any]:
    """A member's run result document (the event's detail, as JSON)."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise NotAResult(f"not JSON: {exc}") from exc
    return _result(document)


def _result(document: object) -> dict[str, Any]:
    if not isinstance(document, dict) or not {"account", "run_id", "started_at", "counts"} <= document.keys():
        raise NotAResult("not a cert-cleanup run result")
    if not isinstance(document["counts"], dict):
        raise NotAResult("not a cert-cleanup run result: counts is not an object")
    return document


def _moment(value: object, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise NotAResult(f"not a cert-cleanup run result: {what} is not a time: {value!r}") from exc
    if moment.tzinfo is None:
        raise NotAResult(f"not a cert-cleanup run result: {what} has no time zone: {value!r}")
    return moment


def event_body(sender: str, document: dict[str, Any], *, event_id: str = "e", region: str = "eu-west-1") -> str:
    """The SQS message body the bus's rule delivers for ``document`` put by ``sender``: the event itself, as
    EventBridge writes it (EventBridge User Guide, "Amazon EventBridge events": version, id, detail-type,
    source, account, time, region, resources, detail)."""
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": names.RESULT_DETAIL_TYPE,
            "source": names.RESULT_EVENT_SOURCE,
            "account": sender,
            "time": "2026-01-01T00:00:00Z",
            "region": region,
            "resources": [],
            "detail": document,
        }
    )


def build(bodies: list[str], *, now: datetime, state: State | None = None) -> Digest:
    """The digest of ``bodies`` (queued messages), each folded in as the digest function does."""
    collector = Collector(now, state)
    for body in bodies:
        collector.add(body)
    return collector.digest(now)


def write_json(digest: Digest, out: TextIO) -> None:
    """The report as one JSON document, written an account at a time."""
    out.write(f'{{"generated_at": {json.dumps(digest.now.isoformat())}, "rejected_messages": {digest.rejected}, ')
    out.write(f'"left_queued": {digest.left_queued}, "duplicate_deliveries": {digest.duplicates}, ')
    out.write(f'"not_believed": {json.dumps([refusal.as_dict() for refusal in digest.refused])}, ')
    out.write(f'"not_reporting": {json.dumps([silent.as_dict() for silent in digest.silent])}, ')
    out.write(f'"warnings": {json.dumps(digest.warnings)}, "accounts": [\n')
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
    if digest.silent:
        parts.insert(1, f"{len(digest.silent)} not reporting")
    if digest.refused:
        parts.insert(1, f"{plural(len(digest.refused), 'result')} not believed")
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


def _refused_line(group: tuple[str, str, list[Refusal]]) -> str:
    sender, why, items = group
    line = f"{plural(len(items), 'result')} from account {sender} {why}"
    if why == FORGED:
        claimed = sorted({item.claimed for item in items})
        line += f" ({', '.join(claimed[:USERS_PER_LINE])}{' and more' if len(claimed) > USERS_PER_LINE else ''})"
    else:
        line += f" (run {items[0].run_id}, started {items[0].started_at})"
    return line


def _silent_line(silent: Silent) -> str:
    if silent.last_result is None:
        since = moment(silent.since.astimezone(UTC))
        return f"{silent.account}: no result since it was listed in the targeted OUs, {since}"
    return f"{silent.account}: last result {moment(silent.last_result.astimezone(UTC))}"


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
    for warning in digest.warnings:
        lines += [f"WARNING: {warning}", ""]
    if digest.refused:
        groups = digest.refused_by_sender()
        lines.append(
            f"Results not believed ({len(digest.refused)}): they changed nothing of any account's state in this "
            "digest. A result counts for the account AWS says sent it, and only if dated in the past and after the "
            "one already held:"
        )
        lines.extend(bullets(groups, SECTION_LIMIT, _refused_line, see=" (see the report)"))
        lines.append("")
    if digest.silent:
        lines.append(
            f"Accounts not reporting ({len(digest.silent)}): no result for more than a run interval; their "
            "function may be failing, deleted or blocked:"
        )
        lines.extend(bullets(digest.silent, SECTION_LIMIT, _silent_line, see=" (see the report)"))
        lines.append("")
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
    if digest.duplicates:
        lines.append(f"Results delivered twice (counted once): {digest.duplicates}.")
    lines.append("")
    lines.append("Full report (one row per certificate per account):")
    lines.extend(f"  {link}" for link in report_links)
    return "\n".join(lines)
