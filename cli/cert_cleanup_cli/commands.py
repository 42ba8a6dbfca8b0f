"""cert-cleanup on the command line: the function's logic, with your own AWS credentials.

scan reports and deletes nothing. run deletes, archiving each certificate first, after showing what it
will delete and asking. replace swaps an expired certificate still in use for its successor, after showing
each swap and asking, and --undo puts a record's changes back. All use your usual credentials (--profile or
AWS_PROFILE) and honour AWS_ENDPOINT_URL. Progress goes to stderr; the exit code says whether anything needs attention.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from pydantic import ValidationError
from rich.console import Console
from typer import _click  # Typer vendors Click: the types of its Command.parse_args

from cert_cleanup import __version__
from cert_cleanup.aws.clients import AWS_ERRORS, AwsClients, error_code, error_message
from cert_cleanup.config import names
from cert_cleanup.config.observability import logger
from cert_cleanup.config.settings import Settings, refuse_removed
from cert_cleanup.config.types import TABLE_NAME_PATTERN, describe_errors
from cert_cleanup.errors import ConfigError
from cert_cleanup.models import Action, RunResult
from cert_cleanup.wording import plural
from cert_cleanup_cli import coordination, render
from cert_cleanup_cli import replace as replacing
from cert_cleanup_cli.accounts import Target, check_regions, run_in, targets


class ExitCode(IntEnum):
    """What the command's exit code says, so that a pipeline can act on it (docs/cli.md)."""

    OK = 0  # nothing needs attention: no expired certificate is left and nothing failed
    DECLINED = 1  # you answered no at the prompt: nothing was deleted
    USAGE = 2  # a bad option, setting or profile: nothing was called
    FAILED = 3  # a lookup or a delete failed (where a lookup failed, nothing was deleted)
    EXPIRED_REMAIN = 4  # expired certificates remain: in use, exempt, in their grace period, or not deleted


# botocore found no credentials, so it sent nothing (NoCredentialsError).
NO_CREDENTIALS = "NoCredentialsError"

EXIT_CODES = (
    "Exit codes: 0 nothing needs attention; 1 you answered no (run); 2 a bad option, setting or profile, or no "
    "credentials (nothing was called); 3 a lookup or a delete failed, or another run holds the lease; 4 expired "
    "certificates remain."
)
SCAN_EXIT_CODES = (
    "Exit codes: 0 nothing needs attention; 2 a bad option, setting or profile, or no credentials (nothing was "
    "called); 3 a lookup failed; 4 expired certificates remain."
)
# The function's settings the command line reads from the environment (the others concern publishing),
# and the option that overrides each one.
CLI_SETTINGS = {
    names.ENV_DRY_RUN: None,
    names.ENV_GRACE_DAYS: "--grace-days",
    names.ENV_EXPIRY_WARNING_DAYS: "--expiry-warning-days",
    names.ENV_EXEMPT_TAG_KEY: "--exempt-tag-key",
    names.ENV_ARCHIVE_BUCKET: "--archive-bucket",
    names.ENV_ACCOUNT_LABEL: None,
}
_ALIAS = {name: field.alias for name, field in Settings.model_fields.items()}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cert-cleanup {__version__}")
        raise typer.Exit()


class OnceEach(typer.core.TyperCommand):
    """A command whose single-value options may each be given once.

    Click keeps the last of a repeated option and drops the others without a word: ``run --profile a --profile b``
    would run in ``b``. The arguments are read once more before anything runs, and a repeat is a usage error
    (exit code 2), before any AWS call.
    """

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            single = [
                p for p in order if p.param_type_name == "option" and not (p.multiple or getattr(p, "is_flag", False))
            ]
            repeated = [p for p in dict.fromkeys(single) if single.count(p) > 1]
            if repeated:
                option = repeated[0]
                hint = " (for several accounts, `cert-cleanup scan` takes --profile, or --account, more than once)"
                raise typer.BadParameter(
                    f"given {single.count(option)} times: give it once"
                    + (hint if option.name in ("profile", "role_name") else ""),
                    ctx=ctx,
                    param_hint=f"'{option.opts[0]}'",
                )
        return super().parse_args(ctx, args)


app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, rich_markup_mode=None, epilog=EXIT_CODES)
# A table as wide as the terminal; piped, as wide as COLUMNS says, else 160 columns.
stdout = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
stderr = Console(stderr=True)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, metavar="", help="Print the version and exit."),
    ] = False,
) -> None:
    """cert-cleanup: delete the expired IAM server certificates nothing uses (CIS 1.19, Security Hub IAM.26)."""


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
ScanGraceDays = Annotated[
    int | None,
    typer.Option(
        "--grace-days",
        metavar="DAYS",
        show_default=f"GRACE_DAYS or {names.DEFAULT_GRACE_DAYS}",
        help="Report as deletable only certificates expired this long.",
    ),
]
RunGraceDays = Annotated[
    int | None,
    typer.Option(
        "--grace-days",
        metavar="DAYS",
        show_default=f"GRACE_DAYS or {names.DEFAULT_GRACE_DAYS}",
        help="Delete only certificates expired this long.",
    ),
]
WarningDays = Annotated[
    int | None,
    typer.Option(
        metavar="DAYS",
        show_default=f"EXPIRY_WARNING_DAYS or {names.DEFAULT_EXPIRY_WARNING_DAYS}",
        help="Report certificates expiring this soon.",
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


def build_settings(options: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> Settings:
    """The settings: each of CLI_SETTINGS from the environment, unless its option is given.

    ``options`` is keyed by variable name. A bad value is named as the person gave it: by its option
    (``--grace-days``), or by its variable with "(from the environment)".
    """
    refuse_removed(environ)
    given = {name: value for name, value in options.items() if value is not None}
    values: dict[str, Any] = {name: environ[name] for name in CLI_SETTINGS if name in environ and name not in given}
    values.update(given)

    def label(field: str) -> str:
        variable = _ALIAS.get(field) or field
        if variable in given:
            return CLI_SETTINGS.get(variable) or variable
        return f"{variable} (from the environment)"

    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError("; ".join(describe_errors(exc, label))) from exc


def exit_code(results: list[RunResult]) -> ExitCode:
    """USAGE when no account was reached for want of credentials (nothing was called: a setting, like a missing
    profile); FAILED when a lookup or a delete failed; else EXPIRED_REMAIN when an expired certificate is left;
    else OK."""
    if results and all(
        [error.code for error in result.errors] == [NO_CREDENTIALS] and not result.certificates for result in results
    ):
        return ExitCode.USAGE
    if any(result.errors or result.count(Action.FAILED) for result in results):
        return ExitCode.FAILED
    if any(result.expired_left() for result in results):
        return ExitCode.EXPIRED_REMAIN
    return ExitCode.OK


def _usage_error(message: str) -> typer.Exit:
    stderr.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(ExitCode.USAGE)


def _settings_or_exit(options: Mapping[str, Any]) -> Settings:
    try:
        return build_settings(options)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from exc


def _options(grace_days: int | None, warning_days: int | None, exempt_tag_key: str | None) -> dict[str, Any]:
    return {
        names.ENV_GRACE_DAYS: grace_days,
        names.ENV_EXPIRY_WARNING_DAYS: warning_days,
        names.ENV_EXEMPT_TAG_KEY: exempt_tag_key,
    }


def _quiet_logs() -> None:
    """The function's log lines go to stderr (stdout carries the table or the JSON), and only at the level
    POWERTOOLS_LOG_LEVEL asks for: the table already says what failed."""
    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.stream = _CurrentStderr()  # assigned, not setStream(): that flushes the old stream, perhaps closed
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "CRITICAL"))


class _CurrentStderr:
    """Whatever sys.stderr is when a line is written (a test runner swaps it for each command)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _show(results: list[RunResult], as_json: bool) -> None:
    documents = [result.as_dict() for result in results]
    if as_json:
        stdout.print_json(json.dumps(documents[0] if len(documents) == 1 else documents))
    elif len(documents) == 1:
        render.table(documents[0], stdout)
    else:
        render.combined(documents, stdout)


@app.command(cls=OnceEach, epilog=SCAN_EXIT_CODES)
def scan(
    region: Regions = None,
    grace_days: ScanGraceDays = None,
    expiry_warning_days: WarningDays = None,
    exempt_tag_key: ExemptTagKey = None,
    profile: Profiles = None,
    account: Accounts = None,
    role_name: RoleName = None,
    as_json: AsJson = False,
) -> None:
    """Report what a run would do, in one account or several at once; delete nothing."""
    settings = _settings_or_exit(_options(grace_days, expiry_warning_days, exempt_tag_key))
    try:
        chosen = targets(profile, account, role_name)
        regions = check_regions(region, chosen)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from exc
    _quiet_logs()
    results = run_in(chosen, settings, stderr, dry_run=True, regions=regions)
    _show(results, as_json)
    raise typer.Exit(exit_code(results))


@app.command(cls=OnceEach, epilog=EXIT_CODES)
def run(
    grace_days: RunGraceDays = None,
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
    lease_table: Annotated[
        str | None,
        typer.Option(
            metavar="TABLE",
            envvar=names.ENV_CLI_LEASE_TABLE,
            show_default=(
                f"{names.ENV_CLI_LEASE_TABLE}, the CertCleanup stack's {names.LEASE_TABLE_OUTPUT} output, or the one "
                f"table named like one ({names.LEASE_TABLE_ID}) tagged {names.LEASE_TABLE_TAG_KEY}="
                f"{names.LEASE_TABLE_TAG_VALUE}"
            ),
            help="The deployed function's run-lease table: once found, this run deletes only while it holds the lease, "
            "never while the function runs; not found, the run says so before it deletes.",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", metavar="", help="Delete without asking.")] = False,
    as_json: AsJson = False,
    region: Annotated[list[str] | None, typer.Option("--region", "-r", hidden=True)] = None,
) -> None:
    """Delete expired certificates proven unused, each archived first (asks before it deletes unless --yes).

    Uses the settings given here and in the environment, not those of a deployed function. Honours DRY_RUN:
    with DRY_RUN=true it reports what it would delete and deletes nothing.
    """
    if region:
        raise _usage_error(
            "--region: run deletes only after searching every region enabled for the account "
            f"({names.WHY_EVERY_REGION}); to look at some regions, use `cert-cleanup scan --region`"
        )
    options = _options(grace_days, expiry_warning_days, exempt_tag_key)
    options[names.ENV_ARCHIVE_BUCKET] = archive_bucket
    settings = _settings_or_exit(options)
    if lease_table is not None and not TABLE_NAME_PATTERN.fullmatch(lease_table):
        raise _usage_error(f"--lease-table: not a DynamoDB table name: {lease_table!r}")
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
    _quiet_logs()
    if settings.dry_run:
        stderr.print("DRY_RUN=true: a dry run; nothing will be deleted.", highlight=False)
        results = run_in(chosen, settings, stderr, dry_run=True)
        _show(results, as_json)
        raise typer.Exit(exit_code(results))
    approved, found = None, None
    if not yes:
        [preview] = run_in(chosen, settings, stderr, dry_run=True)
        render.table(preview.as_dict(), stderr, preview=True)
        candidates = [row for row in preview.certificates if row.action is Action.WOULD_DELETE]
        if preview.failed or not candidates:
            stderr.print("Lookups failed: nothing will be deleted." if preview.failed else "Nothing to delete.")
            raise typer.Exit(exit_code([preview]))
        stderr.print(_settings_used(settings), highlight=False)
        found = _lease_before_asking(chosen[0], lease_table)
        if not typer.confirm(_confirmation(len(candidates), settings, preview.account), err=True):
            stderr.print("Nothing deleted.", highlight=False)
            raise typer.Exit(ExitCode.DECLINED)
        # Deleted: what was shown and approved, if the run proves it unused again; nothing else.
        approved = frozenset(row.certificate.id for row in candidates)
    [result] = run_in(chosen, settings, stderr, dry_run=False, approved=approved, lease_table=lease_table, found=found)
    _show([result], as_json)
    deleted = result.count(Action.DELETED)
    if deleted:
        stderr.print(_what_was_kept(deleted, settings, result.account), highlight=False)
    raise typer.Exit(exit_code([result]))


def _lease_before_asking(target: Target, given: str | None) -> coordination.Found | None:
    """Before a person approves: where the lease is (said now if not found), and stop if another run holds it.
    None when the account cannot be reached: the run says so in its own words."""
    try:
        clients = AwsClients(target.session())
        found = coordination.find_table(clients, given)
    except AWS_ERRORS:
        return None
    if found.table is None:
        stderr.print(f"{target.label}: {found.note}", highlight=False)
        return found
    busy = coordination.held_by(clients, found.table)
    if busy:
        stderr.print(f"[magenta]Not run[/]: {busy}.", highlight=False)
        raise typer.Exit(ExitCode.FAILED)
    return found


def can_ask() -> bool:
    """Whether a person can answer the prompt: standard input is a terminal."""
    return sys.stdin.isatty()


def _settings_used(settings: Settings) -> str:
    return (
        f"Settings used: grace days {settings.grace_days}, exempt tag {settings.exempt_tag_key}=true "
        "(from the options and the environment; a deployed function's settings may differ)."
    )


def _archive_location(settings: Settings, account: str) -> str:
    return f"s3://{settings.archive_bucket}/{names.ARCHIVE_PREFIX}{account}/"


def _confirmation(count: int, settings: Settings, account: str) -> str:
    never_back = "IAM cannot give a deleted certificate back (it never returns the private key)."
    if settings.archive_bucket:
        where = _archive_location(settings, account)
        return f"Delete {plural(count, 'certificate')}, each archived first to {where}? {never_back}"
    return (
        f"Delete {plural(count, 'certificate')} WITHOUT an archive (--delete-without-archive)? {never_back} "
        "No copy is kept."
    )


def _what_was_kept(count: int, settings: Settings, account: str) -> str:
    if settings.archive_bucket:
        return f"Deleted {plural(count, 'certificate')}, each archived first to {_archive_location(settings, account)}."
    return f"Deleted {plural(count, 'certificate')} without an archive (--delete-without-archive)."


# --- replace: swap an expired certificate in use for its successor (replace.py) -------------------------------------

REPLACE_EXIT_CODES = (
    "Exit codes: 0 every use of an expired certificate was replaced (or there was none); 1 you answered no: nothing "
    "was changed; 2 a bad option, setting or profile, or no credentials (nothing was changed); 3 a lookup or a "
    "change failed (the changes before it were made, the record says which); 4 expired certificates remain in use "
    "(a dry run, no successor, AppSync, a refused swap, or an undo that restored an expired certificate)."
)


# What --to may name: an ACM certificate, or an IAM server certificate (any partition).
SUCCESSOR_ARN = re.compile(
    r"^arn:aws[a-z-]*:(acm:[a-z0-9-]+:\d{12}:certificate/[^\s]+|iam::\d{12}:server-certificate/[^\s]+)$"
)


@app.command(cls=OnceEach, epilog=REPLACE_EXIT_CODES)
def replace(
    certificate: Annotated[
        list[str] | None,
        typer.Option("--certificate", metavar="NAME", help="Replace only this expired certificate (repeat)."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            metavar="ARN",
            show_default="the successor the function names",
            help="Replace with this certificate (with --certificate); it must cover every name the old one serves.",
        ),
    ] = None,
    undo: Annotated[
        Path | None,
        typer.Option(metavar="RECORD", help="Restore the old certificates a record of replace says were replaced."),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            show_default="cert-cleanup-replace-<account>-<time>.json",
            help="Where to write the record of the changes.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", metavar="", help="Show the plan; change nothing.")] = False,
    profile: Profile = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", metavar="", help="Change without asking.")] = False,
) -> None:
    """Replace each expired certificate in use by its successor: shows each swap, asks, swaps, verifies.

    Load balancer listeners and CloudFront distributions; the rest of each resource is left as it is. Every change is
    written to a record before it is made; `replace --undo RECORD` restores the old certificates. Honours DRY_RUN.
    """
    settings = _settings_or_exit({})
    dry = dry_run or settings.dry_run
    if to and not certificate:
        raise _usage_error("--to: name the expired certificate it replaces with --certificate")
    if to and certificate and len(certificate) > 1:
        raise _usage_error("--to: one successor for one --certificate; replace them one at a time")
    if to and not SUCCESSOR_ARN.fullmatch(to):
        raise _usage_error(f"--to: not the ARN of an ACM certificate or an IAM server certificate: {to!r}")
    if undo and (to or certificate):
        raise _usage_error("--undo restores what a record says was replaced: it takes no --certificate or --to")
    if undo and not undo.is_file():
        raise _usage_error(f"--undo: no record at {undo}")
    if record and record.exists():
        raise _usage_error(f"--record: {record} exists; a record is never overwritten")
    if not yes and not dry and not can_ask():
        raise _usage_error("replace asks before it changes anything, and there is no terminal to ask on: pass --yes")
    try:
        [target] = targets([profile] if profile else None, None, None)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from exc
    _quiet_logs()
    clients = AwsClients(target.session())
    now = datetime.now(UTC)
    try:
        if undo:
            account, swaps, left = replacing.undo_plan(clients, undo)
            swaps = [swap for swap in swaps if replacing.holds(clients, swap) is not False]  # not restored already
            refused: list[str] = []
            # Restoring an expired certificate leaves one in use: said before the question, and in the exit code
            expired_back = replacing.expired_restores(clients, swaps, now)
            notes = [f"Warning: {line}" for line in expired_back]
        else:
            [scanned] = run_in([target], settings, stderr, dry_run=True)
            if scanned.errors:
                render.table(scanned.as_dict(), stderr)
                code = exit_code([scanned])
                if code is not ExitCode.USAGE:  # not reached for want of credentials: the table said so
                    stderr.print("Lookups failed: no swap is planned.", highlight=False)
                raise typer.Exit(code)
            account = scanned.account
            planned = replacing.plan(clients, scanned, now, only=set(certificate or ()), to=to)
            swaps, left, refused, expired_back = planned.swaps, planned.left, planned.refused, []
            notes = [f"Not replaced: {line}" for line in planned.not_applicable]
    except replacing.UnknownCertificate as exc:
        raise _usage_error(f"{exc}; nothing was changed") from exc
    except replacing.ReplaceError as exc:
        stderr.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(ExitCode.FAILED) from exc
    except AWS_ERRORS as exc:
        if error_code(exc) == NO_CREDENTIALS:  # botocore sent nothing: a setting, as for scan and run
            raise _usage_error(f"no AWS credentials were found ({error_message(exc)}); nothing was changed") from exc
        stderr.print(
            f"[red]error:[/] a lookup failed ({error_code(exc)}: {error_message(exc)}); nothing was changed",
            highlight=False,
        )
        raise typer.Exit(ExitCode.FAILED) from exc
    _show_plan(swaps, left, refused, undoing=bool(undo))
    for line in notes:
        stdout.print(line, highlight=False, soft_wrap=True)
    remain = ExitCode.EXPIRED_REMAIN if left or refused or expired_back else ExitCode.OK
    if not swaps:
        stdout.print("Nothing to change.", highlight=False)
        raise typer.Exit(remain)
    if dry:
        why = "DRY_RUN=true" if settings.dry_run and not dry_run else "--dry-run"
        stdout.print(f"Dry run ({why}): nothing was changed.", highlight=False)
        raise typer.Exit(ExitCode.EXPIRED_REMAIN)
    these = "this change" if len(swaps) == 1 else f"these {len(swaps)} changes"
    if not yes and not typer.confirm(f"Make {these} in account {account}?", err=True):
        stderr.print("Nothing was changed.", highlight=False)
        raise typer.Exit(ExitCode.DECLINED)
    path = record or Path(f"cert-cleanup-replace-{account}-{now.strftime('%Y%m%dT%H%M%SZ')}.json")
    written = replacing.Record(path, account, swaps, undo_of=str(undo) if undo else None)
    stdout.print(f"Record: {path} (undo with: cert-cleanup replace --undo {path})", highlight=False)
    outcome = replacing.perform(clients, swaps, written, lambda line: stdout.print(line, highlight=False))
    if outcome.failure:
        stderr.print(f"[red]FAILED:[/] {outcome.failure}", highlight=False)
        changed = "; ".join(swap.describe() for swap in outcome.done) or "nothing"
        unchanged = "; ".join(swap.describe() for swap in outcome.not_done)
        stderr.print(f"Changed: {changed}. Not changed: {unchanged}. The record says which: {path}", highlight=False)
        raise typer.Exit(ExitCode.FAILED)
    if not undo:
        stdout.print(
            "Each replaced certificate is unused where it was replaced: a later run deletes it once nothing uses it "
            "and its grace period has passed.",
            highlight=False,
        )
    raise typer.Exit(remain)


def _show_plan(swaps: list[replacing.Swap], left: list[str], refused: list[str], *, undoing: bool) -> None:
    """One swap per line, ARNs whole (a person copies them): where, old, new, the names the new one covers."""
    title = "Restore (undo of a record)" if undoing else "Replace expired certificates in use"
    stdout.print(f"{title}: {plural(len(swaps), 'change')}", highlight=False)
    for swap in swaps:
        covers = f", covering {', '.join(swap.names)}" if swap.names else ""
        stdout.print(f"  - {swap.describe()}: {swap.old} -> {swap.new}{covers}", highlight=False, soft_wrap=True)
    for line in refused:
        stdout.print(f"Refused: {line}", highlight=False, soft_wrap=True)
    for line in left:
        stdout.print(f"Left as it is: {line}", highlight=False, soft_wrap=True)


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m cert_cleanup_cli.commands`
    main()
