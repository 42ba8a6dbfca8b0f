"""Search every region for resources that use IAM server certificates.

Regions are searched concurrently: one task per (service, region), each with at most
``MAX_IN_FLIGHT`` calls in flight, so no service in any region sees more than that from one run.
Throttled calls are retried by botocore (standard mode), not by this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from cert_cleanup.aws import GLOBAL_REGION, MAX_IN_FLIGHT, AwsClients, lookup
from cert_cleanup.consumers import Scope, appsync, cloudfront, elb_classic, elbv2
from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import Certificate, FailedLookup, Usage, Use

CONSUMERS: tuple[ModuleType, ...] = (elb_classic, elbv2, appsync, cloudfront)
MAX_TASKS_IN_FLIGHT = 16

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
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failures


def enabled_regions(clients: AwsClients) -> list[str]:
    """The regions enabled for the account (``DescribeRegions`` with ``AllRegions=False``)."""
    region = clients.home_region

    def fetch() -> list[str]:
        response = clients.client("ec2", region).describe_regions(AllRegions=False)
        return sorted(item["RegionName"] for item in response["Regions"])

    result: list[str] = lookup("ec2", region, "DescribeRegions", fetch)
    return result


def search_usage(
    clients: AwsClients,
    *,
    account: str,
    regions: Sequence[str],
    consumers: Sequence[ModuleType] = CONSUMERS,
    on_progress: ProgressCallback | None = None,
    max_tasks: int = MAX_TASKS_IN_FLIGHT,
    per_task_concurrency: int = MAX_IN_FLIGHT,
) -> UsageSearch:
    """Run every consumer in every region (global consumers once) and collect uses and failures."""
    search = UsageSearch(regions=list(regions))
    known_regions = clients.service_regions("ec2")
    tasks: list[tuple[ModuleType, str]] = []
    for consumer in consumers:
        if not consumer.REGIONAL:
            tasks.append((consumer, GLOBAL_REGION))
            continue
        offered = clients.service_regions(consumer.SERVICE)
        for region in regions:
            # Skip only a region botocore knows that does not offer the service; a region
            # botocore does not know yet is searched, and a failure there fails the run closed.
            if region in known_regions and region not in offered:
                search.skipped.append((consumer.SERVICE, region))
            else:
                tasks.append((consumer, region))

    def run(task: tuple[ModuleType, str]) -> list[Use]:
        consumer, region = task
        client = clients.client(consumer.SERVICE, region)
        partition = clients.session.get_partition_for_region(region)
        with ThreadPoolExecutor(max_workers=per_task_concurrency) as pool:
            scope = Scope(account=account, partition=partition, region=region, fan_out=_bounded(pool))
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
                search.failures.append(FailedLookup(exc.service, exc.region, exc.operation, exc.code, exc.message))
            if on_progress is not None:
                on_progress(consumer.SERVICE, region if consumer.REGIONAL else "global", done, total)
    search.failures.sort(key=lambda f: (f.service, f.region, f.operation))
    return search


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
    """``account:name`` of an IAM server certificate ARN (names are unique per account, any path).

    Matching on name rather than the exact ARN keeps a certificate whenever any reference could
    be to it. ACM and other ARNs give ``None``.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("server-certificate/"):
        return None
    name = parts[5].rsplit("/", 1)[-1]
    return f"arn:{parts[4]}:{name.lower()}"
