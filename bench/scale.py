"""Seed a quota-scale account on the emulator, and compute the fewest calls a run can make there."""

from __future__ import annotations

import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from emulator.seed import deployed_function, lease_table
from emulator.seed_certs import make_certificate

ACCOUNT = "123456789012"
SEED_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=32)
# Where the load balancers sit: most in a few big regions, some in many others.
BUSY_REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2", "eu-central-1", "ap-northeast-1")
APPSYNC_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


@dataclass(frozen=True)
class Shape:
    """What to seed. Certificates: ``valid`` + ``expiring`` + ``expired_unused`` + ``expired_in_use``."""

    valid: int = 700
    expiring: int = 100
    expired_unused: int = 100
    expired_in_use: int = 100
    v2_balancers: int = 400
    heavy_listeners: int = 40  # listeners carrying 20+ additional certificates
    extra_per_heavy_listener: int = 22
    classic_balancers: int = 100
    distributions: int = 200
    appsync_domains_per_region: int = 30

    @property
    def certificates(self) -> int:
        return self.valid + self.expiring + self.expired_unused + self.expired_in_use


@dataclass
class Seeded:
    shape: Shape
    regions: list[str]
    v2_per_region: Counter[str] = field(default_factory=Counter)
    classic_per_region: Counter[str] = field(default_factory=Counter)
    appsync_per_region: Counter[str] = field(default_factory=Counter)
    secure_listener_certificates: list[int] = field(default_factory=list)  # per secure listener
    topic_arn: str = ""
    lease_table: str = ""
    bucket: str = ""


def _spread(count: int, regions: list[str]) -> list[str]:
    """Half in the busy regions, the rest round-robin over every region."""
    busy = [region for region in BUSY_REGIONS if region in regions]
    placed = [busy[index % len(busy)] for index in range(count // 2)]
    placed += [regions[index % len(regions)] for index in range(count - len(placed))]
    return placed


def seed(session: boto3.Session, shape: Shape, *, workers: int = 16) -> Seeded:
    now = datetime.now(UTC)
    iam = session.client("iam", region_name="us-east-1", config=SEED_CONFIG)
    regions = sorted(r["RegionName"] for r in session.client("ec2", config=SEED_CONFIG).describe_regions()["Regions"])
    seeded = Seeded(shape=shape, regions=regions)

    plan: list[tuple[str, datetime, str]] = []
    plan += [(f"valid-{i:04d}", now + timedelta(days=90 + i % 600), "/") for i in range(shape.valid)]
    plan += [(f"expiring-{i:04d}", now + timedelta(days=1 + i % 29), "/") for i in range(shape.expiring)]
    plan += [(f"expired-unused-{i:04d}", now - timedelta(days=1 + i % 400), "/") for i in range(shape.expired_unused)]
    in_use = [
        (f"expired-in-use-{i:04d}", now - timedelta(days=1 + i % 400), "/cloudfront/")
        for i in range(shape.expired_in_use)
    ]
    plan += in_use

    def upload(item: tuple[str, datetime, str]) -> dict[str, Any]:
        name, not_after, path = item
        body, key = make_certificate(f"{name}.example.com", not_after=not_after)
        response = iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=body, PrivateKey=key, Path=path
        )
        return dict(response["ServerCertificateMetadata"])

    with ThreadPoolExecutor(workers) as pool:
        metadata = list(pool.map(upload, plan))
    by_name = {item["ServerCertificateName"]: item for item in metadata}
    valid_arns = [by_name[f"valid-{i:04d}"]["Arn"] for i in range(shape.valid)]
    in_use_items = [by_name[name] for name, _, _ in in_use]

    # Users of the expired-in-use certificates: a third each on CloudFront, ALB SNI lists, Classic ELBs.
    cloudfront_users = in_use_items[0::3]
    sni_users = [item["Arn"] for item in in_use_items[1::3]]
    classic_users = [item["Arn"] for item in in_use_items[2::3]]

    _seed_v2(session, shape, seeded, valid_arns, sni_users, workers)
    _seed_classic(session, shape, seeded, valid_arns, classic_users, workers)
    _seed_cloudfront(session, shape, valid_arns, by_name, cloudfront_users, workers)
    _seed_appsync(session, shape, seeded, valid_arns, workers)

    seeded.topic_arn = session.client("sns", config=SEED_CONFIG).create_topic(Name="cert-cleanup")["TopicArn"]
    seeded.lease_table = lease_table(session)
    deployed_function(session)
    seeded.bucket = "cert-cleanup-archive-bench"
    session.client("s3", config=SEED_CONFIG).create_bucket(Bucket=seeded.bucket)
    return seeded


def _seed_v2(
    session: boto3.Session, shape: Shape, seeded: Seeded, valid: list[str], sni_users: list[str], workers: int
) -> None:
    placement = _spread(shape.v2_balancers, seeded.regions)
    networks: dict[str, tuple[str, list[str]]] = {}
    for region in sorted(set(placement)):
        ec2 = session.client("ec2", region_name=region, config=SEED_CONFIG)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"][:2]]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for i, zone in enumerate(zones)
        ]
        networks[region] = (vpc, subnets)

    def create(index: int) -> int:
        region = placement[index]
        vpc, subnets = networks[region]
        elbv2 = session.client("elbv2", region_name=region, config=SEED_CONFIG)
        kind: Any = "network" if index % 4 == 3 else "application"
        balancer = elbv2.create_load_balancer(Name=f"lb-{index:04d}", Subnets=subnets, Type=kind)["LoadBalancers"][0]
        protocol: Any = "TCP" if kind == "network" else "HTTP"
        secure: Any = "TLS" if kind == "network" else "HTTPS"
        group = elbv2.create_target_group(Name=f"tg-{index:04d}", Protocol=protocol, Port=80, VpcId=vpc)[
            "TargetGroups"
        ][0]
        forward: Any = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"], Protocol=protocol, Port=80, DefaultActions=forward
        )
        listener = elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol=secure,
            Port=443,
            Certificates=[{"CertificateArn": valid[index % len(valid)]}],
            DefaultActions=forward,
        )["Listeners"][0]
        extras: list[str] = []
        if index < shape.heavy_listeners:
            extras = [valid[(index * 31 + k) % len(valid)] for k in range(shape.extra_per_heavy_listener)]
        if index < len(sni_users):
            extras.append(sni_users[index])
        if extras:
            elbv2.add_listener_certificates(
                ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": arn} for arn in extras]
            )
        return 1 + len(extras)

    with ThreadPoolExecutor(workers) as pool:
        seeded.secure_listener_certificates = list(pool.map(create, range(shape.v2_balancers)))
    seeded.v2_per_region.update(placement)


def _seed_classic(
    session: boto3.Session, shape: Shape, seeded: Seeded, valid: list[str], users: list[str], workers: int
) -> None:
    placement = _spread(shape.classic_balancers, seeded.regions)

    def create(index: int) -> None:
        region = placement[index]
        certificate = users[index] if index < len(users) else valid[(index * 7) % len(valid)]
        session.client("elb", region_name=region, config=SEED_CONFIG).create_load_balancer(
            LoadBalancerName=f"classic-{index:04d}",
            Listeners=[
                {
                    "Protocol": "HTTPS",
                    "LoadBalancerPort": 443,
                    "InstanceProtocol": "HTTP",
                    "InstancePort": 80,
                    "SSLCertificateId": certificate,
                }
            ],
            AvailabilityZones=[f"{region}a"],
        )

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(create, range(shape.classic_balancers)))
    seeded.classic_per_region.update(placement)


def _seed_cloudfront(
    session: boto3.Session,
    shape: Shape,
    valid: list[str],
    by_name: dict[str, dict[str, Any]],
    users: list[dict[str, Any]],
    workers: int,
) -> None:
    from emulator.seed import cloudfront_distribution

    del valid
    ids = [item["ServerCertificateId"] for item in users]
    valid_ids = [item["ServerCertificateId"] for name, item in by_name.items() if name.startswith("valid-")]

    def create(index: int) -> None:
        certificate_id = ids[index] if index < len(ids) else valid_ids[index % len(valid_ids)]
        cloudfront_distribution(session, f"dist-{index:04d}", certificate_id)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(create, range(shape.distributions)))


def _seed_appsync(session: boto3.Session, shape: Shape, seeded: Seeded, valid: list[str], workers: int) -> None:
    jobs = [(region, index) for region in APPSYNC_REGIONS for index in range(shape.appsync_domains_per_region)]

    def create(job: tuple[str, int]) -> None:
        region, index = job
        session.client("appsync", region_name=region, config=SEED_CONFIG).create_domain_name(
            domainName=f"api-{index:03d}.{region}.example.com", certificateArn=valid[index % len(valid)]
        )

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(create, jobs))
    for region, _ in jobs:
        seeded.appsync_per_region[region] += 1


def offered(session: boto3.Session, service: str) -> set[str]:
    """Regions where botocore knows an endpoint for ``service``, in every partition."""
    return {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions(service, partition_name=partition)
    }


def searches_appsync(session: boto3.Session, region: str) -> bool:
    """AppSync is searched where it exists, and in any region botocore does not know yet."""
    return region in offered(session, "appsync") or region not in offered(session, "ec2")


def minimum_calls(seeded: Seeded, *, dry_run: bool, archive: bool) -> Counter[str]:
    """The fewest calls by operation that prove every candidate's fate on this account.

    List pages at each API's largest page size; per region one page per 400 load balancers
    (Classic, v2) and per 25 AppSync domains (where AppSync exists); one DescribeListeners per v2
    load balancer; one DescribeListenerCertificates page per secure listener; CloudFront pages; tags
    only for expired candidates (when archiving, GetServerCertificate reads the tags and the archive's
    material in one call); per deletion a GetServerCertificate right before it (the name still holds the
    certificate listed: a name can be given to another certificate while the run searches), an archive write and
    a delete; one publish; a scheduled (real) run
    reads the function's LastModified once (the first run after a deploy tells people all);
    after a real run that deleted, one DescribeConfigRules (no IAM.26 rule is seeded: nothing to start);
    after every real run, the account's IAM.26 findings in both of Security Hub's formats, one GetFindings and
    one DescribeSecurityHubV2 (Security Hub is off in the seeded account, both of them: nothing to update).
    The usage search runs when a certificate could be deleted or is expiring soon (a reminder says where to
    replace it).
    """
    shape = seeded.shape
    candidates = shape.expired_unused + shape.expired_in_use
    calls: Counter[str] = Counter()
    calls["ListServerCertificates"] = max(1, math.ceil(shape.certificates / 1000))
    calls["GetServerCertificate" if archive else "ListServerCertificateTags"] = candidates
    calls["Publish"] = 1
    if not dry_run:
        calls["GetFunctionConfiguration"] = 1
        calls["GetFindings"] = calls["DescribeSecurityHubV2"] = 1
    if candidates == 0 and shape.expiring == 0:
        return calls
    calls["DescribeRegions"] = 1
    session = boto3.Session()
    for region in seeded.regions:
        calls["elb.DescribeLoadBalancers"] += max(1, math.ceil(seeded.classic_per_region[region] / 400))
        calls["elbv2.DescribeLoadBalancers"] += max(1, math.ceil(seeded.v2_per_region[region] / 400))
        if searches_appsync(session, region):
            calls["ListDomainNames"] += max(1, math.ceil(seeded.appsync_per_region[region] / 25))
    calls["DescribeListeners"] = shape.v2_balancers
    calls["DescribeListenerCertificates"] = sum(math.ceil(n / 400) for n in seeded.secure_listener_certificates)
    calls["ListDistributions"] = max(1, math.ceil(shape.distributions / 1000))
    if not dry_run:
        calls["GetServerCertificate"] += shape.expired_unused
        calls["DeleteServerCertificate"] = shape.expired_unused
        if shape.expired_unused:
            calls["DescribeConfigRules"] = 1
        if archive:
            calls["PutObject"] = shape.expired_unused
    return calls


def by_operation(report: dict[str, Any]) -> Counter[str]:
    """Emulator call counts keyed like :func:`minimum_calls`."""
    counts: Counter[str] = Counter()
    for service, _region, operation, count in report["calls"]:
        key = operation
        if operation == "DescribeLoadBalancers":
            key = f"{'elbv2' if service == 'elasticloadbalancingv2' else 'elb'}.{operation}"
        counts[key] += count
    return counts


def critical_path_rounds(seeded: Seeded, *, dry_run: bool, archive: bool, in_flight: int = 8) -> int:
    """The fewest call latencies, one after another, that a run on this account must wait.

    Per endpoint at most ``in_flight`` calls at once, so N independent calls take ceil(N / in_flight)
    rounds; calls that depend on each other add up: the certificate list pages, then the expired
    candidates' tag reads; the usage search (DescribeRegions, then per region the load balancer pages,
    their listeners, the listeners' certificates) may start after the first tag read and runs beside
    them; then per deletion the archive write and the delete; then AWS Config's rule lookup; then the
    publish. Every endpoint is taken to answer at once what it is sent (no server-side queueing).
    """
    shape = seeded.shape
    candidates = shape.expired_unused + shape.expired_in_use
    rounds = max(1, math.ceil(shape.certificates / 1000))  # ListServerCertificates pages
    if candidates:
        tags = math.ceil(candidates / in_flight)
        session = boto3.Session()
        per_task = [math.ceil(shape.distributions / 1000) or 1]
        for region in seeded.regions:
            v2 = seeded.v2_per_region[region]
            # pages of load balancers, then each one's listeners, then each secure listener's certificates
            per_task.append(max(1, math.ceil(v2 / 400)) + 2 * math.ceil(v2 / in_flight))
            per_task.append(max(1, math.ceil(seeded.classic_per_region[region] / 400)))
            if searches_appsync(session, region):
                per_task.append(max(1, math.ceil(seeded.appsync_per_region[region] / 25)))
        search = 1 + max(per_task)  # DescribeRegions, then the longest (service, region) chain
        rounds += max(tags, 1 + search)
    if not dry_run and shape.expired_unused:
        deletes = math.ceil(shape.expired_unused / in_flight)
        rounds += (2 * deletes if archive else deletes) + 1  # archive write, delete; DescribeConfigRules
    return rounds + 1  # the publish
