"""Search every region for resources that use IAM server certificates.

Regions are searched concurrently: one task per (service, region), each with at most
``MAX_IN_FLIGHT`` calls in flight, so no service in any region sees more than that from one run.
Throttled calls are retried by botocore (adaptive mode, aws/clients.py), not by this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cert_cleanup.aws.clients import MAX_IN_FLIGHT, AwsClients, lookup
from cert_cleanup.aws.permissions import Permission
from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import Certificate, FailedLookup, Skipped, Usage, Use
from cert_cleanup.usage import appsync, cloudfront, elb_classic, elbv2
from cert_cleanup.usage.scope import Consumer, Scope

CONSUMERS: tuple[Consumer, ...] = (elb_classic, elbv2, appsync, cloudfront)
MAX_TASKS_IN_FLIGHT = 16
NO_REGIONS = "no enabled region was listed"
PERMISSIONS = (Permission("ec2:DescribeRegions"),)
NOT_ENABLED = "not enabled for the account: nothing runs there"

T = TypeVar("T")
R = TypeVar("R")

ProgressCallback = Callable[[str, str, int, int], None]
"""Called as ``(service, region, done, total)`` each time one task ends."""


@dataclass(slots=True)
class UsageSearch:
    """Everything one search found, and every lookup it could not complete."""

    regions: list[str]
    uses: list[Use] = field(default_factory=list)
    failures: list[FailedLookup] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failures


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """What one run's search found, returned to the run (nothing else is written from the search's thread).

    ``index`` is None when nothing could be searched (the regions could not be listed). ``left_out``:
    enabled regions a narrowed search did not look at.
    """

    index: UsageIndex | None
    regions: list[str]
    failures: list[FailedLookup]
    skipped: list[Skipped] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def usage(self, cert: Certificate) -> Usage:
        """What the search proved about ``cert``: complete only when nothing failed and nothing was left out."""
        found = self.index.usage(cert) if self.index else Usage(complete=False)
        complete = found.complete and not self.failures and not self.left_out
        return Usage(complete=complete, used_by=found.used_by, left_out=tuple(self.left_out))


def search_account(
    clients: AwsClients,
    *,
    account: str,
    only_regions: Sequence[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> SearchOutcome:
    """Every consumer in every region enabled for the account (or, narrowed, in ``only_regions`` of them).

    Never raises for an AWS failure: each is in ``failures``. The enabled regions come from DescribeRegions
    in the home region; a region it lists in another partition fails the search closed (no call of a run
    crosses partitions).
    """
    try:
        enabled = enabled_regions(clients)
    except LookupFailed as exc:
        return SearchOutcome(None, [], [exc.failure])
    home = clients.home_region
    if not enabled:  # nothing searched proves nothing
        return SearchOutcome(None, [], [FailedLookup("ec2", home, "DescribeRegions", "NoRegions", NO_REGIONS)])
    partition = clients.partition
    outside = {region: clients.partition_of(region) for region in enabled}
    outside = {region: other for region, other in outside.items() if partition and other not in {None, partition}}
    if outside:
        listed = ", ".join(f"{region} (partition {other})" for region, other in outside.items())
        message = f"DescribeRegions listed {listed}, outside partition {partition} where this runs: nothing is searched"
        failure = FailedLookup("ec2", home, "DescribeRegions", "RegionOutsidePartition", message)
        return SearchOutcome(None, [], [failure])
    regions, left_out, skipped = list(enabled), [], []
    if only_regions is not None:
        regions = [region for region in enabled if region in only_regions]
        left_out = [region for region in enabled if region not in only_regions]
        skipped = [Skipped("all", region, NOT_ENABLED) for region in only_regions if region not in enabled]
    found = search_usage(clients, account=account, regions=regions, on_progress=on_progress)
    return SearchOutcome(UsageIndex(found), regions, found.failures, [*skipped, *found.skipped], left_out)


def enabled_regions(clients: AwsClients) -> list[str]:
    """The regions enabled for the account (``DescribeRegions`` with ``AllRegions=False``)."""
    region = clients.home_region

    def fetch() -> list[str]:
        response = clients.client("ec2").describe_regions(AllRegions=False)  # in the home region
        return sorted(item["RegionName"] for item in response["Regions"])

    return lookup("ec2", region, "DescribeRegions", fetch)


def search_usage(
    clients: AwsClients,
    *,
    account: str,
    regions: Sequence[str],
    consumers: Sequence[Consumer] = CONSUMERS,
    on_progress: ProgressCallback | None = None,
    max_tasks: int = MAX_TASKS_IN_FLIGHT,
    per_task_concurrency: int = MAX_IN_FLIGHT,
) -> UsageSearch:
    """Run every consumer in every region (global consumers once) and collect uses and failures."""
    search = UsageSearch(regions=list(regions))
    partition = clients.partition
    tasks = _plan(clients, partition, regions, consumers, search.skipped)

    def run(task: tuple[Consumer, str]) -> list[Use]:
        consumer, region = task
        # A global service's client is built for the home region: botocore resolves the partition's
        # own endpoint (CloudFront in aws-cn: cloudfront.cn-northwest-1.amazonaws.com.cn).
        client = lookup(consumer.SERVICE, region, "CreateClient", lambda: clients.client(consumer.SERVICE, region))
        with ThreadPoolExecutor(max_workers=per_task_concurrency) as pool:
            scope = Scope(
                account=account,
                partition=clients.partition_of(region) or partition or "aws",
                region=region,
                fan_out=_bounded(pool),
            )
            uses: list[Use] = consumer.find_uses(client, scope)
            return uses

    total = len(tasks)
    with ThreadPoolExecutor(max_workers=max(1, min(max_tasks, total))) as pool:
        futures = {pool.submit(run, task): task for task in tasks}
        for done, future in enumerate(as_completed(futures), start=1):
            consumer, region = futures[future]
            try:
                search.uses.extend(future.result())
            except LookupFailed as exc:
                search.failures.append(exc.failure)
            if on_progress is not None:
                on_progress(consumer.SERVICE, region if consumer.REGIONAL else "global", done, total)
    search.failures.sort(key=lambda f: (f.service, f.region, f.operation))
    return search


def _plan(
    clients: AwsClients,
    partition: str | None,
    regions: Sequence[str],
    consumers: Sequence[Consumer],
    skipped: list[Skipped],
) -> list[tuple[Consumer, str]]:
    """One task per (consumer, region) to search; what is not searched goes to ``skipped``, with why.

    Only what botocore's endpoint data says does not exist is skipped. A partition botocore does not
    know is searched everywhere (a failure there fails the run closed), and so is a region it does
    not know yet.
    """
    tasks: list[tuple[Consumer, str]] = []
    known_regions = clients.service_regions("ec2", partition) if partition else frozenset()
    for consumer in consumers:
        if not consumer.REGIONAL:
            if partition is None or clients.offers_global(consumer.SERVICE, partition):
                tasks.append((consumer, clients.home_region))
            else:
                reason = (
                    f"{consumer.SERVICE} has no endpoint in partition {partition}: "
                    "a certificate of this partition cannot serve a resource of another"
                )
                skipped.append(Skipped(consumer.SERVICE, "global", reason))
            continue
        offered = clients.service_regions(consumer.SERVICE, partition) if partition else frozenset()
        for region in regions:
            if region in known_regions and region not in offered:
                skipped.append(Skipped(consumer.SERVICE, region, f"{consumer.SERVICE} is not offered in {region}"))
            else:
                tasks.append((consumer, region))
    return tasks


def _bounded(pool: ThreadPoolExecutor) -> Any:
    def fan_out(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return list(pool.map(fn, items))

    return fan_out


class UsageIndex:
    """Answers "who uses this certificate?" from a search, by ARN, by name, or by certificate id."""

    def __init__(self, search: UsageSearch) -> None:
        self._complete = search.complete
        self._by_key: dict[str, list[str]] = defaultdict(list)
        for use in search.uses:
            if use.certificate_id:
                self._by_key[f"id:{use.certificate_id}"].append(use.user_arn)
            if use.certificate_arn:
                key = _name_key(use.certificate_arn)
                if key:
                    self._by_key[key].append(use.user_arn)

    def usage(self, cert: Certificate) -> Usage:
        users = [*self._by_key.get(f"id:{cert.id}", []), *self._by_key.get(_name_key(cert.arn) or "", [])]
        return Usage(complete=self._complete, used_by=tuple(sorted(set(users))))


def _name_key(arn: str) -> str | None:
    """``arn:<account>:<name in lower case>`` of an IAM server certificate ARN (names are unique per account,
    any path; lower case, so that a reference differing only in case keeps the certificate).

    Matching on name rather than the exact ARN keeps a certificate whenever any reference could
    be to it. ACM and other ARNs give ``None``.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("server-certificate/"):
        return None
    name = parts[5].rsplit("/", 1)[-1]
    return f"arn:{parts[4]}:{name.lower()}"
