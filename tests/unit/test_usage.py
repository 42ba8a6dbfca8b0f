"""The usage search: which regions, which (service, region) pairs, how many calls at once, what it proves."""

from __future__ import annotations

import importlib
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.exceptions
import pytest

from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import Certificate, FailedLookup, Skipped, Use
from cert_cleanup.usage import appsync, cloudfront, elb_classic
from cert_cleanup.usage import search as usage
from cert_cleanup.usage.scope import Scope
from emulator import aws_fakes, seed
from tests.support import ACCOUNT, FAST_RETRIES, Fake, new_session

pytestmark = pytest.mark.safety

EXPIRED = datetime(2026, 1, 1, tzinfo=UTC)


def _clients(region: str) -> AwsClients:
    return _account(region).clients


def _account(region: str) -> Fake:
    """The same in-process AWS, seen from a function whose home region is ``region``."""
    session = new_session(region)
    return Fake(session=session, clients=AwsClients(session, FAST_RETRIES))


# --- which regions ----------------------------------------------------------------------------


def test_every_consumer_module_is_searched() -> None:
    # A module in usage/ that the search does not list would never be searched: a certificate its service uses
    # could then be deleted. Every module there is a consumer the search runs, except the search's own.
    package = Path(usage.__file__).parent
    modules = {path.stem for path in package.glob("*.py")} - {"__init__", "search", "scope"}
    assert {importlib.import_module(f"cert_cleanup.usage.{name}") for name in modules} == set(usage.CONSUMERS)


def test_enabled_regions_are_the_accounts_enabled_regions_read_in_the_home_region(aws: Fake) -> None:
    account = _account("eu-west-1")
    account.count_calls()

    regions = usage.enabled_regions(account.clients)

    # Then an opt-in region the account has not enabled is not listed (its endpoints refuse the account)
    assert "ap-east-1" not in regions
    assert {"us-east-1", "eu-west-1", "ap-south-1"} <= set(regions)
    assert regions == sorted(regions)
    assert account.calls == {("ec2", "eu-west-1", "DescribeRegions"): 1}

    # And once the account enables it, it is
    aws_fakes.SETTINGS.opted_in_regions.add("ap-east-1")
    assert set(usage.enabled_regions(account.clients)) == {*regions, "ap-east-1"}


def test_the_search_makes_no_call_in_an_opt_in_region_the_account_has_not_enabled(aws: Fake) -> None:
    # Given an account that enabled one opt-in region (ap-east-1) and not the others, and certificates for every
    # consumer to look up
    aws_fakes.SETTINGS.opted_in_regions.add("ap-east-1")
    every_region = aws.session.client("ec2").describe_regions(AllRegions=True)["Regions"]
    disabled = {item["RegionName"] for item in every_region if item["OptInStatus"] == "not-opted-in"}
    assert len(disabled) == 13
    account = _account("eu-west-1")
    account.count_calls()

    # When the whole account is searched
    found = usage.search_account(account.clients, account=ACCOUNT)

    # Then no call of the search went to a region the account has not enabled, and the enabled opt-in one was searched
    called = {region for _, region, _ in account.calls}
    assert called & disabled == set()
    assert not set(found.regions) & disabled
    assert {operation for _, region, operation in account.calls if region == "ap-east-1"} >= {"DescribeLoadBalancers"}
    assert found.failures == []


def test_a_failed_region_listing_names_ec2_the_home_region_and_the_operation(aws: Fake) -> None:
    del aws
    account = _account("ap-southeast-2")
    account.fail("ec2", "DescribeRegions", "UnauthorizedOperation", "denied by an SCP")
    with pytest.raises(LookupFailed) as raised:
        usage.enabled_regions(account.clients)
    failed = raised.value.failure
    assert (failed.service, failed.region, failed.operation, failed.code, failed.message) == (
        "ec2",
        "ap-southeast-2",
        "DescribeRegions",
        "UnauthorizedOperation",
        "denied by an SCP",
    )


# --- which (service, region) pairs ------------------------------------------------------------


class Progress:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, int]] = []

    def __call__(self, service: str, region: str, done: int, total: int) -> None:
        self.seen.append((service, region, done, total))


def test_every_consumer_is_searched_in_every_region_and_global_ones_once(aws: Fake) -> None:
    progress = Progress()
    regions = ["eu-west-1", "ap-south-1"]

    search = usage.search_usage(aws.clients, account=ACCOUNT, regions=regions, on_progress=progress)

    assert search.regions == regions
    assert search.failures == []
    assert search.skipped == []
    regional = [(service, region) for service in ("elb", "elbv2", "appsync") for region in regions]
    assert sorted((service, region) for service, region, _, _ in progress.seen) == sorted(
        [*regional, ("cloudfront", "global")]
    )
    assert [done for _, _, done, _ in progress.seen] == list(range(1, 8))
    assert {total for _, _, _, total in progress.seen} == {7}


def test_a_global_consumer_first_does_not_end_the_plan(aws: Fake) -> None:
    progress = Progress()
    usage.search_usage(
        aws.clients, account=ACCOUNT, regions=["eu-west-1"], consumers=(cloudfront, elb_classic), on_progress=progress
    )
    assert sorted((service, region) for service, region, _, _ in progress.seen) == [
        ("cloudfront", "global"),
        ("elb", "eu-west-1"),
    ]


def test_what_botocore_says_does_not_exist_is_skipped_with_the_reason(aws: Fake) -> None:
    # GovCloud has no CloudFront; a few regions have no AppSync (the account enabled one of them)
    gov = usage.search_usage(
        _clients("us-gov-west-1"), account=ACCOUNT, regions=["us-gov-west-1"], consumers=(cloudfront,)
    )
    assert gov.skipped == [
        Skipped(
            "cloudfront",
            "global",
            "cloudfront has no endpoint in partition aws-us-gov: "
            "a certificate of this partition cannot serve a resource of another",
        )
    ]

    aws_fakes.SETTINGS.opted_in_regions.add("mx-central-1")
    session = boto3.Session(region_name="us-east-1")
    enabled = usage.enabled_regions(aws.clients)
    not_offered = sorted(set(enabled) - set(session.get_available_regions("appsync")))
    assert not_offered, "botocore lists AppSync in every enabled region: pick another service for this test"
    search = usage.search_usage(aws.clients, account=ACCOUNT, regions=enabled, consumers=(appsync,))
    expected = [Skipped("appsync", region, f"appsync is not offered in {region}") for region in not_offered]
    assert search.skipped == expected


def _quiet_consumer(service: str = "elb", *, regional: bool = True, pause: float = 0.0) -> Any:
    """A consumer that makes no AWS call: it records where it was asked to search."""
    asked: list[Scope] = []

    def find_uses(client: Any, scope: Scope) -> list[Use]:
        del client
        asked.append(scope)
        time.sleep(pause)
        return []

    return SimpleNamespace(SERVICE=service, REGIONAL=regional, find_uses=find_uses, asked=asked)


def test_a_region_botocore_does_not_know_yet_is_searched_not_skipped(aws: Fake) -> None:
    consumer = _quiet_consumer()
    regions = ["eu-west-1", "eu-future-1"]
    search = usage.search_usage(aws.clients, account=ACCOUNT, regions=regions, consumers=[consumer])
    assert search.skipped == []
    assert sorted(scope.region for scope in consumer.asked) == ["eu-future-1", "eu-west-1"]


def test_a_partition_botocore_does_not_know_is_searched_everywhere(aws: Fake) -> None:
    # Home region unknown to botocore: nothing is known not to exist, so nothing is skipped
    regional, global_ = _quiet_consumer(), _quiet_consumer("cloudfront", regional=False)
    search = usage.search_usage(
        _clients("zz-new-1"), account=ACCOUNT, regions=["eu-west-1", "zz-new-1"], consumers=[regional, global_]
    )
    assert search.skipped == []
    assert sorted(scope.region for scope in regional.asked) == ["eu-west-1", "zz-new-1"]
    assert len(global_.asked) == 1


def test_each_search_knows_the_account_partition_and_region(aws: Fake) -> None:
    consumer = _quiet_consumer()
    usage.search_usage(_clients("cn-north-1"), account=ACCOUNT, regions=["cn-northwest-1"], consumers=[consumer])
    [scope] = consumer.asked
    assert (scope.account, scope.partition, scope.region) == (ACCOUNT, "aws-cn", "cn-northwest-1")


class NoAppSyncClient(AwsClients):
    """A botocore that cannot build an AppSync client (an SDK too old for a new region, for example)."""

    def client(self, service: str, region: str | None = None) -> Any:
        if service == "appsync":
            raise botocore.exceptions.UnknownServiceError(service_name=service, known_service_names="elb")
        return super().client(service, region)


def test_a_client_that_cannot_be_built_is_a_failed_lookup(aws: Fake) -> None:
    clients = NoAppSyncClient(aws.session, FAST_RETRIES)
    search = usage.search_usage(clients, account=ACCOUNT, regions=["eu-west-1"])
    [failure] = search.failures
    assert (failure.service, failure.region, failure.operation, failure.code) == (
        "appsync",
        "eu-west-1",
        "CreateClient",
        "UnknownServiceError",
    )


# --- how many calls at once -------------------------------------------------------------------


class InFlight:
    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self.now -= 1


def test_tasks_and_calls_in_flight_stay_within_their_bounds(aws: Fake) -> None:
    # Given a consumer whose every region makes 12 calls of 50 ms, fanned out
    tasks, calls = InFlight(), InFlight()

    def call(_: int) -> list[Use]:
        with calls:
            time.sleep(0.05)
        return []

    def find_uses(client: Any, scope: Scope) -> list[Use]:
        del client
        with tasks:
            return [use for uses in scope.fan_out(call, range(12)) for use in uses]

    consumer: Any = SimpleNamespace(SERVICE="elb", REGIONAL=True, find_uses=find_uses)

    # When four regions are searched one task at a time, three calls at a time
    usage.search_usage(
        aws.clients,
        account=ACCOUNT,
        regions=["eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1"],
        consumers=[consumer],
        max_tasks=1,
        per_task_concurrency=3,
    )

    # Then no more than that was ever in flight, and the fan-out did run calls together
    assert tasks.most == 1
    assert calls.most == 3


# --- what a search proves ---------------------------------------------------------------------


def test_a_failed_lookup_is_recorded_as_it_was_raised_and_the_rest_still_searched(aws: Fake) -> None:
    arn = aws.certificate("old", days=-3)["Arn"]
    user = seed.classic_elb(aws.session, "eu-west-1", "lb", arn)
    aws.fail("appsync", "ListDomainNames", "AccessDeniedException", "no appsync here", region="eu-west-1")

    search = usage.search_usage(aws.clients, account=ACCOUNT, regions=["eu-west-1"])

    assert search.failures == [
        FailedLookup("appsync", "eu-west-1", "ListDomainNames", "AccessDeniedException", "no appsync here")
    ]
    assert search.complete is False
    assert Use("elb", "eu-west-1", user, certificate_arn=arn) in search.uses


def _certificate(name: str, path: str = "/", cert_id: str = "ASCAOTHER") -> Certificate:
    arn = f"arn:aws:iam::{ACCOUNT}:server-certificate{path}{name}"
    return Certificate(name=name, id=cert_id, arn=arn, path=path, expiration=EXPIRED)


def _index(*uses: Use, failures: list[FailedLookup] | None = None) -> usage.UsageIndex:
    return usage.UsageIndex(usage.UsageSearch(regions=["eu-west-1"], uses=list(uses), failures=failures or []))


def test_a_cloudfront_use_is_found_by_certificate_id() -> None:
    cert = _certificate("cdn", "/cloudfront/", cert_id="ASCACDN")
    index = _index(
        Use("cloudfront", "global", "arn:aws:cloudfront::1:distribution/A", certificate_id="ASCACDN"),
        Use("cloudfront", "global", "arn:aws:cloudfront::1:distribution/B", certificate_id="ASCAELSE"),
    )
    found = index.usage(cert)
    assert found.used_by == ("arn:aws:cloudfront::1:distribution/A",)
    assert found.complete is True


@pytest.mark.parametrize(
    ("cert_path", "reference"),
    [
        ("/", "server-certificate/web"),
        ("/cloudfront/prod/", "server-certificate/web"),  # a reference without the path
        ("/", "server-certificate/cloudfront/prod/web"),  # a reference with another path
        ("/a:b/", "server-certificate/a:b/web"),  # IAM paths may hold a colon
        ("/", "server-certificate/WEB"),  # names are unique in any case
    ],
)
def test_a_reference_to_the_name_in_this_account_is_a_use(cert_path: str, reference: str) -> None:
    cert = _certificate("Web", cert_path)
    user = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/lb"
    index = _index(Use("elb", "eu-west-1", user, certificate_arn=f"arn:aws:iam::{ACCOUNT}:{reference}"))
    assert index.usage(cert).used_by == (user,)


@pytest.mark.parametrize(
    "reference",
    [
        f"arn:aws:iam::{ACCOUNT}:server-certificate/other",
        "arn:aws:iam::210987654321:server-certificate/web",  # another account's certificate
        f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/web",
        f"arn:aws:notiam::{ACCOUNT}:server-certificate/web",
        f"arn:aws:iam::{ACCOUNT}:role/server-certificate/web",
        "server-certificate/web",
    ],
)
def test_a_reference_to_anything_else_is_not_a_use(reference: str) -> None:
    user = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/lb"
    index = _index(Use("elb", "eu-west-1", user, certificate_arn=reference))
    assert index.usage(_certificate("web")).used_by == ()


def test_a_search_with_a_failure_proves_nothing_unused() -> None:
    failure = FailedLookup("elb", "eu-west-1", "DescribeLoadBalancers", "Throttling", "slow down")
    assert _index(failures=[failure]).usage(_certificate("web")).complete is False
