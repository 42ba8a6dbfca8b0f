"""``cert-cleanup``: run the same logic locally with your own AWS credentials.

``scan`` reports and deletes nothing; ``run`` deletes, after showing what it will delete and asking.
Honours ``AWS_PROFILE``/``--profile`` and ``AWS_ENDPOINT_URL``. Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import boto3
import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from cert_cleanup import names, remediate
from cert_cleanup.aws import AwsClients, error_code
from cert_cleanup.errors import ConfigError
from cert_cleanup.models import Action, RunResult
from cert_cleanup.observability import logger
from cert_cleanup.settings import Settings

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


def render_table(document: dict[str, Any], console: Console) -> None:
    """Print a run's JSON result (as the handler returns it) as a table."""
    title = f"IAM server certificates in {document['account']}" + (" (dry run)" if document["dry_run"] else "")
    table = Table(title=title)
    for column in ("certificate", "expires", "action", "reason", "used by"):
        table.add_column(column, overflow="fold")
    order = [action.value for action in ACTION_STYLE]
    for row in sorted(document["certificates"], key=lambda r: (order.index(r["action"]), r["name"])):
        style = ACTION_STYLE[Action(row["action"])]
        table.add_row(
            row["name"],
            row["expiration"][:10],
            f"[{style}]{row['action']}[/]",
            row["reason"],
            "\n".join(short_arn(arn) for arn in row["used_by"]),
        )
    console.print(table)
    counts = ", ".join(f"{action}: {count}" for action, count in document["counts"].items() if count)
    console.print(f"Counts: {counts or 'no certificates'}. Regions searched: {len(document['regions'])}.")
    for error in document["errors"]:
        console.print(
            f"[magenta]lookup failed[/]: {error['service']} {error['operation']} in {error['region']}: "
            f"{error['code']} {error.get('hint', '')}"
        )


def short_arn(arn: str) -> str:
    """``service region resource`` of an ARN, for a narrow table column."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return arn
    return f"{parts[2]} {parts[3] or 'global'} {parts[5]}"


def _execute(settings: Settings, profile: str | None, *, dry_run: bool) -> RunResult:
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    clients = AwsClients(session)
    try:
        account = str(clients.client("sts").get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as exc:
        stderr.print(f"[red]error:[/] cannot read the caller's identity: {error_code(exc)}: {exc}")
        raise typer.Exit(2) from exc
    with Progress(
        TextColumn("searching for users"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=stderr,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_progress(service: str, region: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"{service} {region}")

        options = remediate.RunOptions.create(account, dry_run=dry_run, on_progress=on_progress)
        return remediate.run(settings, clients, options)


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


def _show(result: RunResult, as_json: bool) -> None:
    if as_json:
        stdout.print_json(json.dumps(result.as_dict()))
    else:
        render_table(result.as_dict(), stdout)


@app.command()
def scan(
    region: Regions = None,
    grace_days: GraceDays = None,
    expiry_warning_days: WarningDays = None,
    exempt_tag_key: ExemptTagKey = None,
    profile: Profile = None,
    as_json: AsJson = False,
) -> None:
    """Report what a run would do; delete nothing."""
    settings = _settings_or_exit(_overrides(region, grace_days, expiry_warning_days, exempt_tag_key))
    result = _execute(settings, profile, dry_run=True)
    _show(result, as_json)
    raise typer.Exit(1 if result.failed else 0)


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
    if not yes:
        preview = _execute(settings, profile, dry_run=True)
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
    result = _execute(settings, profile, dry_run=False)
    _show(result, as_json)
    raise typer.Exit(1 if result.failed else 0)


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m cert_cleanup.cli`
    main()
