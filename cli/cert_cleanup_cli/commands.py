"""cert-cleanup on the command line: the function's logic, with your own AWS credentials.

scan reports and deletes nothing. run deletes, archiving each certificate first, after showing what it
will delete and asking. Both use your usual credentials (--profile or AWS_PROFILE) and honour
AWS_ENDPOINT_URL. Progress goes to stderr; the exit code says whether anything needs attention.
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
from enum import IntEnum
from typing import Annotated, Any

import boto3
import typer
from botocore.exceptions import BotoCoreError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from cert_cleanup import __version__
from cert_cleanup.aws.clients import AWS_ERRORS, DEFAULT_REGION, AwsClients, failure_of
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger
from cert_cleanup.config.settings import Settings, check_region_names, refuse_removed
from cert_cleanup.errors import ConfigError
from cert_cleanup.models import Action, RunResult
from cert_cleanup.run import RunOptions, cleanup

ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
MAX_ACCOUNTS_AT_ONCE = 8


class ExitCode(IntEnum):
    """What the command's exit code says, so that a pipeline can act on it (docs/cli.md)."""

    OK = 0  # nothing needs attention: no expired certificate is left and nothing failed
    DECLINED = 1  # you answered no at the prompt: nothing was deleted
    USAGE = 2  # a bad option, setting or profile: nothing was called
    FAILED = 3  # a lookup or a delete failed (where a lookup failed, nothing was deleted)
    EXPIRED_REMAIN = 4  # expired certificates remain: in use, exempt, in their grace period, or not deleted


# Actions that leave an expired certificate in the account: Security Hub IAM.26 stays FAILED.
EXPIRED_LEFT = frozenset(
    {Action.IN_USE, Action.EXEMPT, Action.GRACE_PERIOD, Action.WOULD_DELETE, Action.USAGE_UNKNOWN, Action.FAILED}
)
# The function's settings the command line reads from the environment (the others concern publishing).
CLI_SETTINGS = (
    names.ENV_DRY_RUN,
    names.ENV_GRACE_DAYS,
    names.ENV_EXPIRY_WARNING_DAYS,
    names.ENV_EXEMPT_TAG_KEY,
    names.ENV_ARCHIVE_BUCKET,
    names.ENV_ARCHIVE_PREFIX,
    names.ENV_ACCOUNT_LABEL,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cert-cleanup {__version__}")
        raise typer.Exit()


app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, rich_markup_mode=None)
stdout = Console(width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, metavar="", help="Print the version and exit."),
    ] = False,
) -> None:
    """cert-cleanup: delete the expired IAM server certificates nothing uses (CIS 1.19, Security Hub IAM.26)."""


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
    list[str] | None,
    typer.Option(
        "--region",
        "-r",
        metavar="REGION",
        show_default="every region enabled for the account",
        help="Search only this region for users (repeat). A narrowed scan proves nothing unused.",
    ),
]
GraceDays = Annotated[
    int | None,
    typer.Option(metavar="DAYS", show_default="GRACE_DAYS or 0", help="Delete only certificates expired this long."),
]
WarningDays = Annotated[
    int | None,
    typer.Option(
        metavar="DAYS", show_default="EXPIRY_WARNING_DAYS or 30", help="Report certificates expiring this soon."
    ),
]
ExemptTagKey = Annotated[
    str | None,
    typer.Option(
        metavar="KEY",
        show_default=f"EXEMPT_TAG_KEY or {names.DEFAULT_EXEMPT_TAG_KEY}",
        help="Tag key that, with value true, exempts a certificate.",
    ),
]
Profiles = Annotated[
    list[str] | None,
    typer.Option(
        "--profile",
        metavar="PROFILE",
        show_default="AWS_PROFILE or the usual credential chain",
        help="AWS profile to scan (repeat for several accounts).",
    ),
]
Profile = Annotated[
    str | None,
    typer.Option(
        metavar="PROFILE", show_default="AWS_PROFILE or the usual credential chain", help="AWS profile to use."
    ),
]
Accounts = Annotated[
    list[str] | None,
    typer.Option("--account", metavar="ACCOUNT_ID", help="Account to scan through --role-name (repeat)."),
]
RoleName = Annotated[
    str | None, typer.Option(metavar="ROLE", help="Role to assume in each --account (from --profile, if given).")
]
AsJson = Annotated[bool, typer.Option("--json", metavar="", help="Print the JSON result instead of a table.")]


def build_settings(overrides: dict[str, Any], environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    """The settings variables the command line uses (CLI_SETTINGS), overridden by the options given."""
    refuse_removed(environ)
    values: dict[str, Any] = {name: environ[name] for name in CLI_SETTINGS if name in environ}
    values.update({key: value for key, value in overrides.items() if value is not None})
    return Settings.build(**values)


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
            f"{indent}[magenta]failed[/]: {error['service']} {error['operation']} in {error['region']}: "
            f"{error['code']}: {error['message']}",
            markup=True,
            highlight=False,
        )
        if error.get("hint"):
            console.print(f"{indent}  {error['hint']}", highlight=False)


def short_arn(arn: str) -> str:
    """``service region resource`` of an ARN, for a narrow table column."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return arn
    return f"{parts[2]} {parts[3] or 'global'} {parts[5]}"


@dataclass(frozen=True)
class Target:
    """One account to run in: a label for progress, how to reach it, and its home region (known without a call)."""

    label: str
    session: Callable[[], boto3.Session]
    region: str


def targets(profiles: list[str] | None, accounts: list[str] | None, role_name: str | None) -> list[Target]:
    """Where to run: the default credentials, each named profile, or a role assumed in each account.

    Every profile is opened here, before any AWS call: a profile that does not exist is a usage error.
    """
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
        region = _home_region(base_profile)
        return [
            Target(account, _assumed(base_profile, account, role_name), region) for account in dict.fromkeys(accounts)
        ]
    if profiles:
        return [Target(profile, _profile(profile), _home_region(profile)) for profile in dict.fromkeys(profiles)]
    return [Target("default credentials", boto3.Session, _home_region(None))]


def _home_region(profile: str | None) -> str:
    try:
        return boto3.Session(profile_name=profile).region_name or DEFAULT_REGION
    except BotoCoreError as exc:  # ProfileNotFound: says which profile
        raise ConfigError(f"--profile {profile}: {exc}") from exc


def check_regions(regions: list[str] | None, chosen: list[Target]) -> tuple[str, ...] | None:
    """``--region`` values: region names, in the partition of every account's home region (no call leaves it)."""
    if not regions:
        return None
    try:
        check_region_names(tuple(regions))
    except ValueError as exc:
        raise ConfigError(f"--region: {exc}") from exc
    session = boto3.Session()
    for target in chosen:
        home = session.get_partition_for_region(target.region)
        for region in regions:
            try:
                other = session.get_partition_for_region(region)
            except BotoCoreError:
                continue  # a region botocore does not know yet: searched, and a failure fails closed
            if other != home:
                raise ConfigError(
                    f"--region {region}: in partition {other}, and {target.label}'s region {target.region} is in "
                    f"{home}: a run never calls another partition"
                )
    return tuple(dict.fromkeys(regions))


def _profile(name: str) -> Callable[[], boto3.Session]:
    return lambda: boto3.Session(profile_name=name)


def _assumed(base_profile: str | None, account: str, role_name: str) -> Callable[[], boto3.Session]:
    def session() -> boto3.Session:
        base = boto3.Session(profile_name=base_profile) if base_profile else boto3.Session()
        partition = base.get_partition_for_region(base.region_name or DEFAULT_REGION)
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


def _execute(
    settings: Settings, chosen: list[Target], *, dry_run: bool, regions: tuple[str, ...] | None = None
) -> list[RunResult]:
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

            options = RunOptions.create(account, dry_run=dry_run, on_progress=on_progress, regions=regions)
            return cleanup(settings, clients, options)

        with ThreadPoolExecutor(max_workers=min(MAX_ACCOUNTS_AT_ONCE, len(chosen))) as pool:
            return list(pool.map(one, chosen))


def _unreachable(target: Target, exc: Exception) -> RunResult:
    """A target whose credentials did not work: reported as a failed call, nothing read or deleted."""
    result = RunResult(run_id="-", account=target.label, account_label=None, dry_run=True, started_at=datetime.now(UTC))
    result.errors.append(failure_of("sts", "global", "AssumeRole/GetCallerIdentity", exc))
    return result


def exit_code(results: list[RunResult]) -> ExitCode:
    """FAILED when a lookup or a delete failed; else EXPIRED_REMAIN when an expired certificate is left; else OK."""
    if any(result.errors or result.count(Action.FAILED) for result in results):
        return ExitCode.FAILED
    if any(row.action in EXPIRED_LEFT for result in results for row in result.certificates):
        return ExitCode.EXPIRED_REMAIN
    return ExitCode.OK


def _usage_error(message: str) -> typer.Exit:
    stderr.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(ExitCode.USAGE)


def _settings_or_exit(overrides: dict[str, Any]) -> Settings:
    try:
        return build_settings(overrides)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from exc


def _overrides(grace_days: int | None, warning_days: int | None, exempt_tag_key: str | None) -> dict[str, Any]:
    return {
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
    settings = _settings_or_exit(_overrides(grace_days, expiry_warning_days, exempt_tag_key))
    try:
        chosen = targets(profile, account, role_name)
        regions = check_regions(region, chosen)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from exc
    results = _execute(settings, chosen, dry_run=True, regions=regions)
    _show(results, as_json)
    raise typer.Exit(exit_code(results))


@app.command()
def run(
    grace_days: GraceDays = None,
    expiry_warning_days: WarningDays = None,
    exempt_tag_key: ExemptTagKey = None,
    archive_bucket: Annotated[
        str | None,
        typer.Option(
            metavar="BUCKET",
            show_default="ARCHIVE_BUCKET",
            help="Archive each certificate to this bucket of the account before deleting it.",
        ),
    ] = None,
    delete_without_archive: Annotated[
        bool,
        typer.Option(
            "--delete-without-archive", metavar="", help="Delete without archiving first: no copy of them is kept."
        ),
    ] = False,
    profile: Profile = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", metavar="", help="Delete without asking.")] = False,
    as_json: AsJson = False,
    region: Annotated[list[str] | None, typer.Option("--region", "-r", hidden=True)] = None,
) -> None:
    """Delete expired certificates proven unused, each archived first (asks before it deletes unless --yes).

    Honours DRY_RUN: with DRY_RUN=true it reports what it would delete and deletes nothing.
    """
    if region:
        raise _usage_error(
            "--region: run deletes only after searching every region enabled for the account (a narrowed search "
            "cannot prove a certificate unused); to look at some regions, use `cert-cleanup scan --region`"
        )
    overrides = _overrides(grace_days, expiry_warning_days, exempt_tag_key)
    overrides[names.ENV_ARCHIVE_BUCKET] = archive_bucket
    settings = _settings_or_exit(overrides)
    if settings.archive_bucket and delete_without_archive:
        raise _usage_error(
            f"--delete-without-archive: an archive bucket is set ({settings.archive_bucket}); choose one of the two"
        )
    if not settings.archive_bucket and not delete_without_archive and not settings.dry_run:
        raise _usage_error(
            "run archives each certificate before deleting it: pass --archive-bucket BUCKET (or set ARCHIVE_BUCKET), "
            "or --delete-without-archive to delete with no copy kept"
        )
    if not yes and not settings.dry_run and not can_ask():
        raise _usage_error("run asks before it deletes, and there is no terminal to ask on: pass --yes to delete")
    try:
        chosen = targets([profile] if profile else None, None, None)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from exc
    if settings.dry_run:
        stderr.print("DRY_RUN=true: a dry run; nothing will be deleted.", highlight=False)
        results = _execute(settings, chosen, dry_run=True)
        _show(results, as_json)
        raise typer.Exit(exit_code(results))
    if not yes:
        [preview] = _execute(settings, chosen, dry_run=True)
        render_table(preview.as_dict(), stderr)
        candidates = preview.count(Action.WOULD_DELETE)
        if preview.failed or candidates == 0:
            stderr.print("Lookups failed: nothing will be deleted." if preview.failed else "Nothing to delete.")
            raise typer.Exit(exit_code([preview]))
        typer.confirm(_confirmation(candidates, settings, preview.account), abort=True, err=True)
    [result] = _execute(settings, chosen, dry_run=False)
    _show([result], as_json)
    deleted = result.count(Action.DELETED)
    if deleted:
        stderr.print(_what_was_kept(deleted, settings, result.account), highlight=False)
    raise typer.Exit(exit_code([result]))


def can_ask() -> bool:
    """Whether a person can answer the prompt: standard input is a terminal."""
    return sys.stdin.isatty()


def _archive_location(settings: Settings, account: str) -> str:
    return f"s3://{settings.archive_bucket}/{settings.archive_prefix}{account}/"


def _confirmation(count: int, settings: Settings, account: str) -> str:
    never_back = "IAM cannot give a deleted certificate back (it never returns the private key)."
    if settings.archive_bucket:
        where = _archive_location(settings, account)
        return f"Delete {count} certificate(s), each archived first to {where}? {never_back}"
    return f"Delete {count} certificate(s) WITHOUT an archive (--delete-without-archive)? {never_back} No copy is kept."


def _what_was_kept(count: int, settings: Settings, account: str) -> str:
    if settings.archive_bucket:
        return f"Deleted {count} certificate(s), each archived first to {_archive_location(settings, account)}."
    return f"Deleted {count} certificate(s) without an archive (--delete-without-archive)."


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m cert_cleanup_cli.commands`
    main()
