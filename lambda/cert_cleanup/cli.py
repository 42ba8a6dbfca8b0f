"""``cert-cleanup``: run the same logic locally with your own AWS credentials.

``scan`` reports and deletes nothing; ``run`` deletes, after showing what it will delete and asking.
Honours ``AWS_PROFILE``/``--profile`` and ``AWS_ENDPOINT_URL``. Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import boto3
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from cert_cleanup import names, remediate
from cert_cleanup.aws import AWS_ERRORS, AwsClients, error_code
from cert_cleanup.errors import ConfigError
from cert_cleanup.models import Action, RunResult
from cert_cleanup.observability import logger
from cert_cleanup.settings import Settings

ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
MAX_ACCOUNTS_AT_ONCE = 8

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
stdout = Console(width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True)

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

Regions = Annotated[
    list[str] | None, typer.Option("--region", "-r", help="Region to search for users (repeat); default: all enabled.")
]
GraceDays = Annotated[int | None, typer.Option(help="Delete only certificates expired at least this many days.")]
WarningDays = Annotated[int | None, typer.Option(help="Report certificates expiring within this many days.")]
ExemptTagKey = Annotated[str | None, typer.Option(help="Tag key that, with value 'true', exempts a certificate.")]
Profile = Annotated[str | None, typer.Option(help="AWS profile to use (default: the usual credential chain).")]
Profiles = Annotated[
    list[str] | None,
    typer.Option("--profile", help="AWS profile to scan (repeat for several accounts); default: the usual chain."),
]
Accounts = Annotated[
    list[str] | None, typer.Option("--account", help="Account id to scan through --role-name (repeat).")
]
RoleName = Annotated[str | None, typer.Option(help="Role to assume in each --account (from --profile, if given).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the JSON result instead of a table.")]


def build_settings(overrides: dict[str, Any]) -> Settings:
    """Environment variables as in Lambda, overridden by the command-line options given."""
    values: dict[str, Any] = {alias: os.environ[alias] for alias in _ENV_NAMES if alias in os.environ}
    values.update({key: value for key, value in overrides.items() if value is not None})
    values.pop(names.ENV_SNS_TOPIC_ARN, None)  # the CLI never publishes
    return Settings.build(**values)


_ENV_NAMES = (
    names.ENV_GRACE_DAYS,
    names.ENV_EXPIRY_WARNING_DAYS,
    names.ENV_EXEMPT_TAG_KEY,
    names.ENV_REGIONS,
    names.ENV_ARCHIVE_BUCKET,
    names.ENV_ARCHIVE_PREFIX,
    names.ENV_ACCOUNT_LABEL,
)


COLUMNS = ("certificate", "expires", "action", "reason", "used by")


def render_table(document: dict[str, Any], console: Console) -> None:
    """Print a run's JSON result (as the handler returns it) as a table."""
    title = f"IAM server certificates in {document['account']}" + (" (dry run)" if document["dry_run"] else "")
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for cells in _rows(document):
        table.add_row(*cells)
    console.print(table)
    counts = ", ".join(f"{action}: {count}" for action, count in document["counts"].items() if count)
    console.print(f"Counts: {counts or 'no certificates'}. Regions searched: {len(document['regions'])}.")
    _print_errors(document, console, indent="")


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


def _print_errors(document: dict[str, Any], console: Console, *, indent: str) -> None:
    for error in document["errors"]:
        console.print(
            f"{indent}[magenta]lookup failed[/]: {error['service']} {error['operation']} in {error['region']}: "
            f"{error['code']} {error.get('hint', '')}"
        )


def short_arn(arn: str) -> str:
    """``service region resource`` of an ARN, for a narrow table column."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return arn
    return f"{parts[2]} {parts[3] or 'global'} {parts[5]}"


@dataclass(frozen=True)
class Target:
    """One account to scan: a label for progress, and how to reach it."""

    label: str
    session: Callable[[], boto3.Session]


def targets(profiles: list[str] | None, accounts: list[str] | None, role_name: str | None) -> list[Target]:
    """Where to run: the default credentials, each named profile, or a role assumed in each account."""
    if accounts and not role_name:
        raise ConfigError("--account needs --role-name: the role to assume in each account")
    if role_name and not accounts:
        raise ConfigError("--role-name needs at least one --account")
    bad = [account for account in accounts or [] if not ACCOUNT_PATTERN.fullmatch(account)]
    if bad:
        raise ConfigError(f"--account: not a 12-digit account id: {', '.join(repr(b) for b in bad)}")
    if role_name and not ROLE_NAME_PATTERN.fullmatch(role_name):
        raise ConfigError(f"--role-name: not an IAM role name: {role_name!r}")
    if accounts and role_name:
        base_profile = profiles[0] if profiles else None
        return [Target(account, _assumed(base_profile, account, role_name)) for account in dict.fromkeys(accounts)]
    if profiles:
        return [Target(profile, _profile(profile)) for profile in dict.fromkeys(profiles)]
    return [Target("default credentials", boto3.Session)]


def _profile(name: str) -> Callable[[], boto3.Session]:
    return lambda: boto3.Session(profile_name=name)


def _assumed(base_profile: str | None, account: str, role_name: str) -> Callable[[], boto3.Session]:
    def session() -> boto3.Session:
        base = boto3.Session(profile_name=base_profile) if base_profile else boto3.Session()
        partition = base.get_partition_for_region(base.region_name or "us-east-1")
        credentials = base.client("sts").assume_role(
            RoleArn=f"arn:{partition}:iam::{account}:role/{role_name}", RoleSessionName="cert-cleanup-scan"
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=base.region_name,
        )

    return session


def _execute(settings: Settings, chosen: list[Target], *, dry_run: bool) -> list[RunResult]:
    """Run for every target, a few at once, each with its own progress line on stderr."""
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
    with Progress(
        TextColumn("{task.fields[target]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=stderr,
        transient=True,
    ) as progress:

        def one(target: Target) -> RunResult:
            task = progress.add_task("", total=None, target=target.label)
            try:
                clients = AwsClients(target.session())
                account = str(clients.client("sts").get_caller_identity()["Account"])
            except AWS_ERRORS as exc:
                return _unreachable(target, exc)

            def on_progress(service: str, region: str, done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, description=f"{service} {region}")

            options = remediate.RunOptions.create(account, dry_run=dry_run, on_progress=on_progress)
            return remediate.run(settings, clients, options)

        with ThreadPoolExecutor(max_workers=min(MAX_ACCOUNTS_AT_ONCE, len(chosen))) as pool:
            return list(pool.map(one, chosen))


def _unreachable(target: Target, exc: Exception) -> RunResult:
    """A target whose credentials did not work: reported as a failed lookup, nothing read or deleted."""
    result = RunResult(run_id="-", account=target.label, account_label=None, dry_run=True, started_at=datetime.now(UTC))
    result.errors.append(
        {
            "service": "sts",
            "region": "global",
            "operation": "AssumeRole/GetCallerIdentity",
            "code": error_code(exc),
            "message": str(exc),
        }
    )
    return result


def _settings_or_exit(overrides: dict[str, Any]) -> Settings:
    try:
        return build_settings(overrides)
    except ConfigError as exc:
        stderr.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc


def _overrides(
    regions: list[str] | None, grace_days: int | None, warning_days: int | None, exempt_tag_key: str | None
) -> dict[str, Any]:
    return {
        names.ENV_REGIONS: ",".join(regions) if regions else None,
        names.ENV_GRACE_DAYS: grace_days,
        names.ENV_EXPIRY_WARNING_DAYS: warning_days,
        names.ENV_EXEMPT_TAG_KEY: exempt_tag_key,
    }


def _show(results: list[RunResult], as_json: bool) -> None:
    documents = [result.as_dict() for result in results]
    if as_json:
        stdout.print_json(json.dumps(documents[0] if len(documents) == 1 else documents))
    elif len(documents) == 1:
        render_table(documents[0], stdout)
    else:
        render_combined(documents, stdout)


def render_combined(documents: list[dict[str, Any]], console: Console) -> None:
    """One table across accounts: the account first, then each certificate as in a single scan."""
    table = Table(title=f"IAM server certificates in {len(documents)} accounts")
    for column in ("account", *COLUMNS):
        table.add_column(column, overflow="fold")
    for document in documents:
        for cells in _rows(document):
            table.add_row(document["account"], *cells)
    console.print(table)
    for document in documents:
        counts = ", ".join(f"{action}: {count}" for action, count in document["counts"].items() if count)
        console.print(f"{document['account']}: {counts or 'no certificates'}")
        _print_errors(document, console, indent="  ")


@app.command()
def scan(
    region: Regions = None,
    grace_days: GraceDays = None,
    expiry_warning_days: WarningDays = None,
    exempt_tag_key: ExemptTagKey = None,
    profile: Profiles = None,
    account: Accounts = None,
    role_name: RoleName = None,
    as_json: AsJson = False,
) -> None:
    """Report what a run would do, in one account or several at once; delete nothing."""
    settings = _settings_or_exit(_overrides(region, grace_days, expiry_warning_days, exempt_tag_key))
    try:
        chosen = targets(profile, account, role_name)
    except ConfigError as exc:
        stderr.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    results = _execute(settings, chosen, dry_run=True)
    _show(results, as_json)
    raise typer.Exit(1 if any(result.failed for result in results) else 0)


@app.command()
def run(
    region: Regions = None,
    grace_days: GraceDays = None,
    expiry_warning_days: WarningDays = None,
    exempt_tag_key: ExemptTagKey = None,
    archive_bucket: Annotated[str | None, typer.Option(help="Archive each certificate here before deleting.")] = None,
    profile: Profile = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
    as_json: AsJson = False,
) -> None:
    """Delete expired certificates proven unused (asks first unless --yes)."""
    overrides = _overrides(region, grace_days, expiry_warning_days, exempt_tag_key)
    overrides[names.ENV_ARCHIVE_BUCKET] = archive_bucket
    settings = _settings_or_exit(overrides)
    chosen = targets([profile] if profile else None, None, None)
    if not yes:
        [preview] = _execute(settings, chosen, dry_run=True)
        render_table(preview.as_dict(), stderr)
        candidates = preview.count(Action.WOULD_DELETE)
        if preview.failed or candidates == 0:
            stderr.print("Nothing to delete." if not preview.failed else "Lookups failed: nothing will be deleted.")
            raise typer.Exit(1 if preview.failed else 0)
        typer.confirm(
            f"Delete {candidates} certificate(s)? IAM cannot give them back (the private key is gone).",
            abort=True,
            err=True,
        )
    [result] = _execute(settings, chosen, dry_run=False)
    _show([result], as_json)
    raise typer.Exit(1 if result.failed else 0)


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m cert_cleanup.cli`
    main()
