"""What a person reads: a run's result as a table, one table across accounts, failures with what to do."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from cert_cleanup.models import Action, FailedLookup
from cert_cleanup.wording import plural
from cert_cleanup_cli.accounts import REACH
from cert_cleanup_cli.coordination import LEASE

ACTION_STYLE = {
    Action.DELETED: "bold red",
    Action.WOULD_DELETE: "red",
    Action.FAILED: "bold magenta",
    Action.USAGE_UNKNOWN: "magenta",
    Action.IN_USE: "yellow",
    Action.EXPIRING_SOON: "yellow",
    Action.GRACE_PERIOD: "cyan",
    Action.EXEMPT: "cyan",
    Action.VALID: "green",
}
COLUMNS = ("certificate", "expires", "action", "reason", "used by")
# Below this many columns a table folds names and ARNs over many lines: each certificate gets a short block instead.
WIDE = 120


def table(document: dict[str, Any], console: Console, *, preview: bool = False) -> None:
    """A run's JSON result (as the handler returns it) as a table, then its counts, what it did not search, and
    what failed. ``preview``: the look before ``run`` asks, titled so (a dry run is a run on its own).

    An account not reached (no credentials, a role not assumed) gets no table: the reason comes first and alone.
    """
    if not_reached(document):
        console.print(
            f"[magenta]Not reached[/]: {escape(document['account'])}; nothing was read or deleted.", highlight=False
        )
        _failures(document, console, indent="")
        return
    if not_run(document):
        console.print(f"[magenta]Not run[/]: {escape(document['account'])}; nothing was deleted.", highlight=False)
        _failures(document, console, indent="")
        return
    title = f"IAM server certificates in {document['account']}"
    if preview:
        title += " (preview: nothing deleted yet)"
    elif document["dry_run"]:
        title += " (dry run)"
    if console.width < WIDE:
        _blocks(title, [("", cells) for cells in _rows(document)], console)
    else:
        grid = Table(title=title)
        for column in COLUMNS:
            grid.add_column(column, overflow="fold")
        for cells in _rows(document):
            grid.add_row(*cells)
        console.print(grid)
    console.print(f"Counts: {_counts(document)}. Regions searched: {len(document['regions'])}.", highlight=False)
    _not_searched(document, console, indent="")
    _failures(document, console, indent="")


def combined(documents: list[dict[str, Any]], console: Console) -> None:
    """One table across accounts: the account first, then each certificate as in a single scan."""
    title = f"IAM server certificates in {len(documents)} accounts"
    if console.width < WIDE:
        _blocks(title, [(document["account"], cells) for document in documents for cells in _rows(document)], console)
    else:
        grid = Table(title=title)
        for column in ("account", *COLUMNS):
            grid.add_column(column, overflow="fold")
        for document in documents:
            for cells in _rows(document):
                grid.add_row(document["account"], *cells)
        console.print(grid)
    for document in documents:
        console.print(f"{document['account']}: {_counts(document)}", highlight=False)
        _not_searched(document, console, indent="  ")
        _failures(document, console, indent="  ")


def _blocks(title: str, rows: list[tuple[str, tuple[str, ...]]], console: Console) -> None:
    """The compact layout for a narrow terminal: per certificate, its name, action and expiry on one line, then
    the reason and each user indented beneath."""
    console.print(f"[bold]{title}[/]")
    for account, (name, expires, action, reason, used_by) in rows:
        where = f"{account}  " if account else ""
        console.print(f"{where}[bold]{name}[/]  {action}  expires {expires}", highlight=False, soft_wrap=True)
        console.print(Padding(reason, (0, 0, 0, 4)), highlight=False)
        for user in filter(None, used_by.split("\n")):
            console.print(f"    used by {user}", highlight=False, soft_wrap=True)


def not_reached(document: dict[str, Any]) -> bool:
    """Whether the account's credentials failed before its run (so nothing was read)."""
    return any(error["service"] == REACH for error in document["errors"])


def not_run(document: dict[str, Any]) -> bool:
    """Whether the run did not start because of the deployed function's run lease (held, or not to be taken)."""
    return any(error["operation"] == LEASE for error in document["errors"])


def _counts(document: dict[str, Any]) -> str:
    if not_reached(document):
        return "not reached"
    if not_run(document):
        return "not run"
    counts = ", ".join(f"{action}: {count}" for action, count in document["counts"].items() if count)
    return counts or "no certificates"


def _rows(document: dict[str, Any]) -> list[tuple[str, ...]]:
    """A table row per certificate, most urgent action first."""
    order = [action.value for action in ACTION_STYLE]
    rows: list[tuple[str, ...]] = []
    for row in sorted(document["certificates"], key=lambda r: (order.index(r["action"]), r["name"])):
        style = ACTION_STYLE[Action(row["action"])]
        rows.append(
            (
                row["name"],
                row["expiration"][:10],
                f"[{style}]{row['action']}[/]",
                row["reason"],
                "\n".join(short_arn(arn) for arn in row["used_by"]),
            )
        )
    return rows


def _not_searched(document: dict[str, Any], console: Console, *, indent: str) -> None:
    if document.get("regions_left_out"):
        left_out = document["regions_left_out"]
        console.print(
            f"{indent}Left out by --region: {plural(len(left_out), 'enabled region')}: {', '.join(left_out)}."
        )
    for item in document.get("skipped", []):
        if item["service"] == "all":
            console.print(f"{indent}Not searched: {item['region']} ({item['reason']}).", highlight=False)


def _failures(document: dict[str, Any], console: Console, *, indent: str) -> None:
    for failure in map(FailedLookup.from_dict, document["errors"]):
        console.print(f"{indent}[magenta]failed[/]: {escape(str(failure))}", markup=True, highlight=False)
        if failure.hint:
            console.print(f"{indent}  {failure.hint}", highlight=False)


def short_arn(arn: str) -> str:
    """``service region resource`` of an ARN, for a narrow table column."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return arn
    return f"{parts[2]} {parts[3] or 'global'} {parts[5]}"
