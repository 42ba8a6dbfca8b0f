"""The organization's daily digest: every member's latest result in one email and one report. Pure functions.

Members publish their run result (JSON) to the central topic; a queue collects them; once a day the
digest reads the queue, writes the full report (JSON and CSV) and emails people one summary:
accounts needing action first, then how many had nothing to do.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cert_cleanup.notify.message import bullets

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
INCIDENT = "incident: expired certificate in use"
# Why an account needs a person, most urgent first.
ACTION_KINDS = (INCIDENT, "failed or unchecked", "deleted", "expiring soon", "would delete (dry run)")


def needs(counts: dict[str, int], errors: int) -> dict[str, int]:
    """How much of each kind of action an account needs, in ACTION_KINDS order (zero: none)."""
    values = (
        counts.get("in_use", 0),
        counts.get("failed", 0) + counts.get("usage_unknown", 0) + errors,
        counts.get("deleted", 0),
        counts.get("expiring_soon", 0),
        counts.get("would_delete", 0),
    )
    return dict(zip(ACTION_KINDS, values, strict=True))


SECTION_LIMIT = 100


class NotAResult(ValueError):
    """A queued message that is not a member's run result."""


@dataclass
class AccountReport:
    """One member account: its latest result, and every certificate any of its queued runs deleted."""

    account: str
    label: str | None
    latest: dict[str, Any]
    runs: int = 1
    deleted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict(self.latest.get("counts", {}))
        counts["deleted"] = len(self.deleted)
        return counts

    @property
    def errors(self) -> int:
        return len(self.latest.get("errors", []))

    def kinds(self) -> list[str]:
        return [label for label, value in needs(self.counts, self.errors).items() if value]

    def rows(self) -> list[dict[str, Any]]:
        """The latest state of each certificate, plus those deleted by an earlier queued run."""
        latest = self.latest
        rows = [
            dict(row, run_id=latest["run_id"], started_at=latest["started_at"])
            for row in latest.get("certificates", [])
        ]
        latest_names = {row["name"] for row in rows}
        rows.extend(row for row in self.deleted if row["name"] not in latest_names)
        return rows


@dataclass
class Digest:
    accounts: list[AccountReport]
    rejected: int
    now: datetime

    def needing_action(self) -> list[AccountReport]:
        def urgency(report: AccountReport) -> tuple[int, str]:
            kinds = report.kinds()
            return ACTION_KINDS.index(kinds[0]) if kinds else len(ACTION_KINDS), report.account

        return sorted((report for report in self.accounts if report.kinds()), key=urgency)

    def quiet(self) -> list[AccountReport]:
        return [report for report in self.accounts if not report.kinds()]


def parse_result(body: str) -> dict[str, Any]:
    """A member's run result from a queued message body (raw delivery: the JSON itself)."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise NotAResult(f"not JSON: {exc}") from exc
    if not isinstance(document, dict) or not {"account", "run_id", "started_at", "counts"} <= document.keys():
        raise NotAResult("not a cert-cleanup run result")
    return document


def build(documents: list[dict[str, Any]], *, rejected: int, now: datetime) -> Digest:
    """Group results by account: the latest run gives the state; deletions of every run are kept."""
    by_account: dict[str, AccountReport] = {}
    for document in sorted(documents, key=lambda item: str(item["started_at"])):
        deleted = [
            dict(row, run_id=document["run_id"], started_at=document["started_at"])
            for row in document.get("certificates", [])
            if row.get("action") == "deleted"
        ]
        report = by_account.get(document["account"])
        if report is None:
            by_account[document["account"]] = AccountReport(
                document["account"], document.get("account_label"), document, deleted=deleted
            )
        else:
            report.latest = document
            report.label = document.get("account_label") or report.label
            report.runs += 1
            report.deleted.extend(deleted)
    return Digest(sorted(by_account.values(), key=lambda item: item.account), rejected, now)


def report_json(digest: Digest) -> str:
    return json.dumps(
        {
            "generated_at": digest.now.isoformat(),
            "accounts": [
                {
                    "account": report.account,
                    "account_label": report.label,
                    "runs": report.runs,
                    "needs": report.kinds(),
                    "counts": report.counts,
                    "errors": report.latest.get("errors", []),
                    "latest_run": report.latest["run_id"],
                    "certificates": report.rows(),
                }
                for report in digest.accounts
            ],
            "rejected_messages": digest.rejected,
        },
        indent=1,
    )


def report_csv(digest: Digest) -> str:
    """One row per certificate per account."""
    out = io.StringIO()
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
    return out.getvalue()


def subject(digest: Digest) -> str:
    needing = digest.needing_action()
    incidents = sum(1 for report in needing if INCIDENT in report.kinds())
    head = f"INCIDENT in {incidents} account(s) - " if incidents else ""
    text = (
        f"{head}cert-cleanup organization digest: {len(needing)} account(s) need action, "
        f"{len(digest.quiet())} nothing to do"
    )
    return text if len(text) <= 99 else text[:96] + "..."


def _needing_lines(report: AccountReport) -> str:
    """The account and what it needs, then each expired certificate still in use, on lines of its own."""
    name = report.account + (f" ({report.label})" if report.label else "")
    facts = [f"{value} {label}" for label, value in needs(report.counts, report.errors).items() if value]
    lines = [f"{name}: {', '.join(facts)}"]
    for row in report.rows():
        if row.get("action") == "in_use":
            users = ", ".join(row.get("used_by", [])[:3])
            lines.append(f"      {row['name']} expired {row['expiration'][:10]}, used by {users}")
    return "\n".join(lines)


def email_text(digest: Digest, *, report_links: list[str]) -> str:
    needing = digest.needing_action()
    lines = [
        f"IAM server certificate clean-up across the organization, {digest.now.strftime('%Y-%m-%d %H:%M UTC')}.",
        f"{len(digest.accounts)} account(s) reported since the last digest.",
        "",
    ]
    if needing:
        lines.append(f"Accounts needing action ({len(needing)}), most urgent first:")
        lines.extend(bullets(needing, SECTION_LIMIT, _needing_lines, see=" (see the report)"))
        lines.append("")
    lines.append(f"Accounts with nothing to do: {len(digest.quiet())}.")
    if digest.rejected:
        lines.append(f"Messages that were not a cert-cleanup result (dropped): {digest.rejected}.")
    lines.append("")
    lines.append("Full report (one row per certificate per account):")
    lines.extend(f"  {link}" for link in report_links)
    return "\n".join(lines)
