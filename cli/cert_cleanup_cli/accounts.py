"""Which accounts a command runs in, how to reach each one (credentials, a profile, or a role assumed in it),
and running the function's logic in all of them, a few at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
from botocore.exceptions import BotoCoreError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cert_cleanup.aws.clients import AWS_ERRORS, DEFAULT_REGION, AwsClients, failure_of
from cert_cleanup.config.settings import Settings
from cert_cleanup.config.types import ACCOUNT_ID_PATTERN, check_region_names
from cert_cleanup.errors import ConfigError
from cert_cleanup.models import RunResult
from cert_cleanup.run import RunOptions, cleanup
from cert_cleanup_cli import coordination

ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
MAX_ACCOUNTS_AT_ONCE = 8
# The call that reaches an account before its run: a failure there means the account was not reached.
REACH = "sts"


@dataclass(frozen=True)
class Target:
    """One account to run in: a label, how to reach it, and its home region (known without a call)."""

    label: str
    session: Callable[[], boto3.Session]
    region: str


def targets(profiles: list[str] | None, accounts: list[str] | None, role_name: str | None) -> list[Target]:
    """Where to run: your credentials, each named profile, or a role assumed in each account.

    Every profile is opened here, before any AWS call: a profile that does not exist is a usage error.
    """
    if accounts and not role_name:
        raise ConfigError("--account needs --role-name: the role to assume in each account")
    if role_name and not accounts:
        raise ConfigError("--role-name needs at least one --account")
    bad = [account for account in accounts or [] if not ACCOUNT_ID_PATTERN.fullmatch(account)]
    if bad:
        raise ConfigError(f"--account: not a 12-digit account id: {', '.join(repr(b) for b in bad)}")
    if role_name and not ROLE_NAME_PATTERN.fullmatch(role_name):
        raise ConfigError(f"--role-name: not an IAM role name: {role_name!r}")
    if accounts and role_name:
        base = profiles[0] if profiles else None
        region = _home_region(base)
        return [Target(account, _assumed(base, account, role_name), region) for account in dict.fromkeys(accounts)]
    if profiles:
        return [Target(profile, _profile(profile), _home_region(profile)) for profile in dict.fromkeys(profiles)]
    return [Target("your credentials", boto3.Session, _home_region(None))]


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
                    f"--region {region}: in partition {other}, and the region of {target.label} ({target.region}) "
                    f"is in {home}: a run never calls another partition"
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


def run_in(
    chosen: list[Target],
    settings: Settings,
    console: Console,
    *,
    dry_run: bool,
    regions: tuple[str, ...] | None = None,
    approved: frozenset[str] | None = None,
    lease_table: str | None = None,
    found: coordination.Found | None = None,
) -> list[RunResult]:
    """The run in every target, a few at once, each with its own progress line on ``console``. A run that may
    delete holds the deployed function's run lease (coordination.py), or says why it cannot; ``found``: the lease
    as already found (and, if not found, already said) before a question."""
    with Progress(
        TextColumn("{task.fields[target]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as progress:

        def one(target: Target) -> RunResult:
            task = progress.add_task("", total=None, target=target.label)
            try:
                session = target.session()
            except AWS_ERRORS as exc:
                return not_reached(target, "AssumeRole", exc)
            try:
                clients = AwsClients(session)
                account = clients.caller_account()
            except AWS_ERRORS as exc:
                return not_reached(target, "GetCallerIdentity", exc)

            def on_progress(service: str, region: str, done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, description=f"{service} {region}")

            def work(run_id: str | None = None) -> RunResult:
                options = RunOptions.create(
                    account, dry_run=dry_run, on_progress=on_progress, regions=regions, approved=approved, run_id=run_id
                )
                return cleanup(settings, clients, options)

            if dry_run:
                return work()
            lease = found or coordination.find_table(clients, lease_table)
            if lease.table is None:
                if found is None:
                    console.print(f"{target.label}: {lease.note}", highlight=False)
                return work()
            return coordination.holding(clients, lease.table, account, work)

        with ThreadPoolExecutor(max_workers=min(MAX_ACCOUNTS_AT_ONCE, len(chosen))) as pool:
            return list(pool.map(one, chosen))


def not_reached(target: Target, operation: str, exc: Exception) -> RunResult:
    """An account whose credentials did not work: the failed call, and nothing read or deleted."""
    result = RunResult(run_id="-", account=target.label, account_label=None, dry_run=True, started_at=datetime.now(UTC))
    result.errors.append(failure_of(REACH, "global", operation, exc))
    return result
