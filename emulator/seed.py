"""A small believable account for the demo and the end-to-end tests."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3

from cert_cleanup.config import names
from emulator.seed_certs import import_to_acm, make_certificate

EXEMPT_TAG = "cert-cleanup:exempt"
FUNCTION_NAME = "cert-cleanup"


def scheduled_event(
    account: str = "123456789012", region: str = "us-east-1", time: str = "2026-11-27T06:00:00Z"
) -> dict[str, Any]:
    """An EventBridge schedule's event, field for field as EventBridge sends it to the function."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time,
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/CertCleanup-CleanupSchedule"],
        "detail": {},
    }


def iam26_finding(
    account: str = "123456789012",
    region: str = "us-east-1",
    *,
    status: str = "FAILED",
    workflow: str = "NEW",
    record_state: str = "ACTIVE",
    control: str = "IAM.26",
) -> dict[str, Any]:
    """Security Hub CSPM's IAM.26 control finding in ASFF, as the user guide's sample control finding (consolidated
    control findings on) shapes it: an account-level finding from the periodic Config rule."""
    finding_id = f"arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/4f4d1e3c-iam26-example"
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/securityhub",
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": region,
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": "2026-11-20T06:00:00.000Z",
        "UpdatedAt": "2026-11-27T06:00:00.000Z",
        "Severity": {"Label": "MEDIUM", "Original": "MEDIUM"},
        "Title": "Expired SSL/TLS certificates managed in IAM should be removed",
        "Description": "This controls checks whether an active SSL/TLS server certificate that is managed in IAM has "
        "expired. The control fails if the expired SSL/TLS server certificate isn't removed.",
        "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{account}", "Partition": "aws", "Region": region}],
        "Compliance": {
            "Status": status,
            "SecurityControlId": control,
            "RelatedRequirements": ["CIS AWS Foundations Benchmark v3.0.0/1.19"],
        },
        "WorkflowState": "NEW",
        "Workflow": {"Status": workflow},
        "RecordState": record_state,
    }


def iam26_ocsf_finding(
    account: str = "123456789012", region: str = "us-east-1", *, status: str = "Fail", status_id: int = 1
) -> dict[str, Any]:
    """The same finding in OCSF, as the new Security Hub sends it (class 2003, Compliance Finding). AWS publishes no
    sample of a control finding in OCSF: the fields are the ones its API model filters on (compliance.control,
    compliance.status, cloud.account.uid, finding_info.uid, metadata.product.uid, status_id)."""
    return {
        "class_uid": 2003,
        "class_name": "Compliance Finding",
        "activity_id": 1,
        "status_id": status_id,
        "severity": "Medium",
        "cloud": {"account": {"uid": account}, "region": region, "provider": "AWS"},
        "compliance": {"control": "IAM.26", "status": status, "standards": ["cis-aws-foundations-benchmark/v/3.0.0"]},
        "finding_info": {
            "uid": f"arn:aws:securityhub:{region}:{account}:security-control/IAM.26/finding/4f4d1e3c-iam26-example",
            "title": "Expired SSL/TLS certificates managed in IAM should be removed",
        },
        "metadata": {
            "product": {"uid": f"arn:aws:securityhub:{region}::productv2/aws/securityhub", "name": "Security Hub"}
        },
    }


def finding_event(
    finding: dict[str, Any],
    *,
    detail_type: str = "Security Hub Findings - Imported",
    time: str = "2026-11-27T06:05:00Z",
) -> dict[str, Any]:
    """The EventBridge event Security Hub sends for ``finding`` (one finding per event), as its user guide shows."""
    ocsf = detail_type == "Findings Imported V2"
    account = finding["cloud"]["account"]["uid"] if ocsf else finding["AwsAccountId"]
    region = finding["cloud"]["region"] if ocsf else finding["Region"]
    return {
        "version": "0",
        "id": "8e5622f9-d81c-4d81-612a-9319e7ee2506",
        "detail-type": detail_type,
        "source": "aws.securityhub",
        "account": account,
        "time": time,
        "region": region,
        "resources": ["e51603d1054aad9d9f498d82d6e81acf4cf6bc88140e8ad2273123c73b81084"]
        if ocsf
        else [f"arn:aws:securityhub:{region}::product/aws/securityhub/{finding['Id']}"],
        "detail": {"findings": [finding]},
    }


def custom_action_event(finding: dict[str, Any], action_arn: str) -> dict[str, Any]:
    """The event a Security Hub custom action sends for one selected finding."""
    return {
        "version": "0",
        "id": "1a1111a1-b22b-3c33-444d-5555e5ee5555",
        "detail-type": "Security Hub Findings - Custom Action",
        "source": "aws.securityhub",
        "account": finding["AwsAccountId"],
        "time": "2026-11-27T09:12:00Z",
        "region": finding["Region"],
        "resources": [action_arn],
        "detail": {
            "actionName": "Run cert-cleanup",
            "actionDescription": "Delete the expired IAM server certificates nothing uses (IAM.26)",
            "findings": [finding],
        },
    }


LEASE_TABLE = "cert-cleanup-run-lease"


def lease_table(session: boto3.Session, name: str = LEASE_TABLE) -> str:
    """The run lease's table as the stack makes it (infra/components/cleanup.py), if not there yet; its name."""
    ddb = session.client("dynamodb")
    try:
        ddb.describe_table(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": names.LEASE_TABLE_TAG_KEY, "Value": names.LEASE_TABLE_TAG_VALUE}],
        )
    return name


def deployed_function(session: boto3.Session, name: str = FUNCTION_NAME) -> str:
    """The function as a deploy leaves it (and its role), if not there yet; its ARN. Its LastModified is now."""
    lambda_ = session.client("lambda")
    try:
        return str(lambda_.get_function_configuration(FunctionName=name)["FunctionArn"])
    except lambda_.exceptions.ResourceNotFoundException:
        pass
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = session.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName=f"{name}-function", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("cert_cleanup/handler.py", "")
    created = lambda_.create_function(
        FunctionName=name,
        Runtime="python3.14",
        Role=role,
        Handler="cert_cleanup.handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    return str(created["FunctionArn"])


@dataclass
class SeededAccount:
    """What was created, by role, so a test or the demo can say what should happen."""

    certificates: dict[str, str] = field(default_factory=dict)  # name -> ARN
    users: dict[str, str] = field(default_factory=dict)  # certificate name -> ARN of its user
    successors: dict[str, str] = field(default_factory=dict)  # expired certificate in use -> its successor's ARN
    named: dict[str, str] = field(default_factory=dict)  # role (see seed_demo_account) -> certificate name
    uses: dict[str, str] = field(default_factory=dict)  # certificate name -> how it is used, in words
    topic_arn: str = ""
    bucket: str = ""
    function_arn: str = ""
    lease_table: str = ""


def upload(
    iam: Any,
    name: str,
    not_after: datetime,
    *,
    path: str = "/",
    tags: dict[str, str] | None = None,
    names: tuple[str, ...] = (),
    key_type: str = "ec",
) -> dict[str, Any]:
    """Upload a certificate serving ``<name>.example.com`` and ``names``, with an ``ec`` or ``rsa`` key."""
    body, key = make_certificate(f"{name}.example.com", not_after=not_after, names=names, key=key_type)
    response = iam.upload_server_certificate(
        ServerCertificateName=name,
        CertificateBody=body,
        PrivateKey=key,
        Path=path,
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    metadata: dict[str, Any] = response["ServerCertificateMetadata"]
    return metadata


def alb_with_certificates(
    session: boto3.Session, region: str, name: str, default_arn: str, extra_arns: list[str]
) -> str:
    """An internet-facing ALB with an HTTPS listener: a default and additional (SNI) certificates."""
    ec2 = session.client("ec2", region_name=region)
    elbv2 = session.client("elbv2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"][:2]]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for index, zone in enumerate(zones)
    ]
    balancer = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    forward: Any = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward)
    return _secure_listener(elbv2, balancer["LoadBalancerArn"], "HTTPS", forward, default_arn, extra_arns)


def nlb_with_certificates(
    session: boto3.Session, region: str, name: str, default_arn: str, extra_arns: list[str]
) -> str:
    """An internet-facing NLB with a TLS listener: a default and additional (SNI) certificates."""
    ec2 = session.client("ec2", region_name=region)
    elbv2 = session.client("elbv2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    balancer = elbv2.create_load_balancer(Name=name, Subnets=[subnet], Type="network")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name=f"{name}-tg", Protocol="TCP", Port=443, VpcId=vpc)["TargetGroups"][0]
    forward: Any = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    return _secure_listener(elbv2, balancer["LoadBalancerArn"], "TLS", forward, default_arn, extra_arns)


def _secure_listener(
    elbv2: Any, balancer_arn: str, protocol: str, forward: Any, default_arn: str, extra_arns: list[str]
) -> str:
    """A listener on 443 (HTTPS or TLS) with its default certificate, then its additional (SNI) ones; its ARN."""
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer_arn,
        Protocol=protocol,
        Port=443,
        Certificates=[{"CertificateArn": default_arn}],
        DefaultActions=forward,
    )["Listeners"][0]
    if extra_arns:
        elbv2.add_listener_certificates(
            ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": arn} for arn in extra_arns]
        )
    return str(listener["ListenerArn"])


def classic_elb(session: boto3.Session, region: str, name: str, certificate_arn: str) -> str:
    elb = session.client("elb", region_name=region)
    elb.create_load_balancer(
        LoadBalancerName=name,
        Listeners=[
            {
                "Protocol": "HTTPS",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "HTTP",
                "InstancePort": 80,
                "SSLCertificateId": certificate_arn,
            }
        ],
        AvailabilityZones=[f"{region}a"],
    )
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    return f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{name}"


def cloudfront_distribution(
    session: boto3.Session, name: str, certificate_id: str, *, region: str = "us-east-1"
) -> str:
    """A distribution serving an IAM certificate; ``region`` picks the partition (cn-north-1: aws-cn)."""
    cloudfront = session.client("cloudfront", region_name=region)
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": name,
            "Comment": name,
            "Enabled": True,
            "Aliases": {"Quantity": 1, "Items": [f"{name}.example.com"]},
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "origin",
                        "DomainName": "origin.example.com",
                        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "origin",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
            },
            "ViewerCertificate": {
                "IAMCertificateId": certificate_id,
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        }
    )["Distribution"]
    return str(distribution["ARN"])


def appsync_domain(session: boto3.Session, region: str, domain: str, certificate_arn: str) -> str:
    appsync = session.client("appsync", region_name=region)
    config = appsync.create_domain_name(domainName=domain, certificateArn=certificate_arn)["domainNameConfig"]
    return str(config["domainNameArn"])


def seed_demo_account(session: boto3.Session, now: datetime) -> SeededAccount:
    """Seven certificates, each showing one thing cert-cleanup must get right."""
    iam = session.client("iam", region_name="us-east-1")
    seeded = SeededAccount()
    day = timedelta(days=1)

    def add(role: str, stem: str, not_after: datetime, **kwargs: Any) -> dict[str, Any]:
        # Named after the year it expires, as people name certificates: the name matches the date on any day.
        name = stem if "tags" in kwargs else f"{stem}-{not_after.year}"
        metadata = upload(iam, name, not_after, **kwargs)
        seeded.certificates[name] = metadata["Arn"]
        seeded.named[role] = name
        return metadata

    add("unused", "intranet", now - 40 * day)  # expired, unused: deleted
    shop_old = add("sni", "shop-eu", now - 9 * day)  # expired, still an additional (SNI) certificate: kept
    shop_new = add("listener_default", "shop-eu", now + 300 * day)  # valid: the listener's default
    cdn = add("cloudfront", "static-cdn", now - 3 * day, path="/cloudfront/")  # expired, on CloudFront: kept
    add("exempt", "partner-vpn-pinned", now - 120 * day, tags={EXEMPT_TAG: "true"})  # expired, exempt: kept
    api = add("expiring", "api-prod", now + 12 * day)  # expiring soon, on a Classic ELB
    graph = add("appsync", "graphql", now + 400 * day)  # valid, on an AppSync custom domain

    named = seeded.named
    listener = alb_with_certificates(session, "eu-west-1", "shop-eu", shop_new["Arn"], [shop_old["Arn"]])
    seeded.users[named["sni"]] = seeded.users[named["listener_default"]] = listener
    seeded.users[named["cloudfront"]] = cloudfront_distribution(session, "static-cdn", cdn["ServerCertificateId"])
    seeded.users[named["expiring"]] = classic_elb(session, "us-east-1", "api-prod", api["Arn"])
    seeded.users[named["appsync"]] = appsync_domain(session, "ap-southeast-2", "graphql.example.com", graph["Arn"])
    # The successor of the SNI certificate on its ALB: an ACM certificate of eu-west-1 covering its name (the
    # CloudFront distribution's has none: nothing in us-east-1 covers its name)
    seeded.successors[named["sni"]] = import_to_acm(
        session.client("acm", region_name="eu-west-1"), ("*.example.com",), not_after=now + 390 * day
    )
    seeded.uses = {
        named["unused"]: "nothing",
        named["sni"]: "ALB shop-eu (eu-west-1), HTTPS listener: an additional (SNI) certificate, not the default",
        named["listener_default"]: "ALB shop-eu (eu-west-1), HTTPS listener: the default certificate",
        named["cloudfront"]: "CloudFront distribution static-cdn",
        named["exempt"]: "nothing (tagged exempt)",
        named["expiring"]: "Classic ELB api-prod (us-east-1)",
        named["appsync"]: "AppSync custom domain graphql.example.com (ap-southeast-2)",
    }

    seeded.topic_arn = session.client("sns", region_name="us-east-1").create_topic(Name="cert-cleanup")["TopicArn"]
    seeded.lease_table = lease_table(session)
    seeded.bucket = "cert-cleanup-archive-123456789012"
    session.client("s3", region_name="us-east-1").create_bucket(Bucket=seeded.bucket)
    seeded.function_arn = deployed_function(session)  # just deployed: its first scheduled run tells people all
    return seeded
