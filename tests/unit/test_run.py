"""A whole run through the handler's logic: every action, fail-closed for every failure kind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from cert_cleanup import job
from cert_cleanup.config import names
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from emulator import seed
from tests.support import ACCOUNT, CONTEXT, SCHEDULED, Fake, summary_settings


def settings(aws: Fake, **values: Any) -> Settings:
    return summary_settings(aws.session, **values)


def run(aws: Fake, config: Settings, event: object = SCHEDULED) -> dict[str, Any]:
    return job.handle(event, CONTEXT, settings=config, clients=aws.clients)


def actions(document: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["action"] for row in document["certificates"]}


def row(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in document["certificates"] if item["name"] == name)


def published(aws: Fake) -> list[dict[str, Any]]:
    from moto.sns.models import sns_backends

    topic = next(iter(sns_backends[ACCOUNT]["us-east-1"].topics.values()))
    return [
        {
            "message": json.loads(sent[1]),
            "subject": sent[2],
            "audience": (sent[3] or {})[names.AUDIENCE_ATTRIBUTE]["Value"],
        }
        for sent in topic.sent_notifications
    ]


@pytest.fixture
def account(aws: Fake) -> Fake:
    """One certificate per outcome: the users of the in-use ones sit in eu-west-1."""
    aws.certificate("valid", days=200)
    aws.certificate("soon", days=10)
    aws.certificate("grace", days=-2)
    aws.certificate("exempt", days=-30, tags={"cert-cleanup:exempt": "TRUE"})
    aws.certificate("unused", days=-30)
    additional = aws.certificate("additional", days=-30)["Arn"]
    default = aws.certificate("default", days=100)["Arn"]
    seed.alb_with_certificates(aws.session, "eu-west-1", "shop", default, [additional])
    classic = aws.certificate("classic", days=-30)["Arn"]
    seed.classic_elb(aws.session, "eu-west-1", "legacy", classic)
    cdn = aws.certificate("cdn", days=-30, path="/cloudfront/")
    seed.cloudfront_distribution(aws.session, "static", cdn["ServerCertificateId"])
    graph = aws.certificate("graph", days=-30)["Arn"]
    seed.appsync_domain(aws.session, "eu-west-1", "graph.example.com", graph)
    return aws


def test_every_outcome_in_one_run(account: Fake) -> None:
    # Given the account above, a grace period of 7 days and an archive bucket
    account.session.client("s3").create_bucket(Bucket="archive-bucket")
    config = settings(account, GRACE_DAYS="7", ARCHIVE_BUCKET="archive-bucket")

    # When the scheduled run happens
    document = run(account, config)

    # Then only the expired, unexempt, unused certificate is deleted, after being archived
    assert actions(document) == {
        "valid": "valid",
        "default": "valid",
        "soon": "expiring_soon",
        "grace": "grace_period",
        "exempt": "exempt",
        "unused": "deleted",
        "additional": "in_use",
        "classic": "in_use",
        "cdn": "in_use",
        "graph": "in_use",
    }
    assert account.names_left() == set(actions(document)) - {"unused"}
    assert row(document, "additional")["used_by"][0].startswith("arn:aws:elasticloadbalancing:eu-west-1:")
    assert row(document, "classic")["used_by"] == [
        f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/legacy"
    ]
    assert row(document, "cdn")["used_by"][0].startswith(f"arn:aws:cloudfront::{ACCOUNT}:distribution/")
    assert row(document, "graph")["used_by"] == [f"arn:aws:appsync:eu-west-1:{ACCOUNT}:domainnames/graph.example.com"]
    assert document["counts"]["deleted"] == 1
    assert document["counts"]["in_use"] == 4
    assert document["errors"] == []
    assert len(document["regions"]) == 20  # every region enabled for the account
    assert {item["usage_search"] for item in document["certificates"]} == {"complete"}

    key = row(document, "unused")["archived_to"].removeprefix("s3://archive-bucket/")
    archived = json.loads(account.session.client("s3").get_object(Bucket="archive-bucket", Key=key)["Body"].read())
    assert archived["metadata"]["name"] == "unused"
    assert archived["certificate_body"].startswith("-----BEGIN CERTIFICATE-----")
    assert archived["evidence"]["lookups_complete"] is True
    assert archived["evidence"]["regions_searched"] == document["regions"]
    assert archived["run_id"] == document["run_id"]

    # And the summary went out, with a short subject and a text per protocol
    [message] = published(account)
    assert (
        message["subject"]
        == f"INCIDENT: cert-cleanup {ACCOUNT}: 4 expired certificates in use, 1 deleted, 1 expiring soon"
    )
    assert message["audience"] == "people"
    assert "Deleted (1):\n  - unused" in message["message"]["email"]
    assert json.loads(message["message"]["sqs"])["counts"]["deleted"] == 1


def test_with_nothing_to_delete_or_remind_no_load_balancer_cloudfront_or_appsync_call(aws: Fake) -> None:
    aws.certificate("valid", days=200)
    aws.certificate("exempt", days=-30, tags={"cert-cleanup:exempt": "true"})
    aws.count_calls()

    document = run(aws, settings(aws, GRACE_DAYS="3"))

    assert actions(document) == {"valid": "valid", "exempt": "exempt"}
    for service in ("elb", "elbv2", "cloudfront", "appsync", "ec2"):
        assert aws.calls_to(service) == 0, service
    # tags are read only for the expired candidate past grace
    assert sum(count for key, count in aws.calls.items() if key[2] == "ListServerCertificateTags") == 1


def test_all_enabled_regions_are_searched_by_default(aws: Fake) -> None:
    arn = aws.certificate("far-away", days=-30)["Arn"]
    seed.classic_elb(aws.session, "sa-east-1", "far", arn)
    config = Settings.build(SNS_TOPIC_ARN=settings(aws).sns_topic_arn)

    document = run(aws, config)

    assert actions(document) == {"far-away": "in_use"}
    assert "sa-east-1" in document["regions"]
    assert len(document["regions"]) == 20  # the emulator's enabled regions (moto's 34, minus 14 not opted in)
    assert "ap-east-1" not in document["regions"]  # an opt-in region the account has not enabled


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://elasticloadbalancing.eu-west-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://elasticloadbalancing.eu-west-1.amazonaws.com"),
    ],
    ids=["connection-refused", "read-timeout"],
)
def test_connection_failure_or_timeout_is_a_failed_lookup(account: Fake, error: Exception) -> None:
    # Given every attempt (botocore retries these) to reach ELBv2 fails at the network
    def refuse(**_: Any) -> None:
        raise error

    account.hook("before-send.elastic-load-balancing-v2.DescribeLoadBalancers", refuse)

    # When the run happens, Then it fails naming the error, and nothing is deleted
    with pytest.raises(RunFailed, match=type(error).__name__):
        run(account, settings(account))
    assert "unused" in account.names_left()


def test_scp_denial_gets_a_hint_saying_how_to_let_the_function_read_the_region(account: Fake) -> None:
    account.fail(
        "elb",
        "DescribeLoadBalancers",
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: "
        "elasticloadbalancing:DescribeLoadBalancers with an explicit deny in a service control policy",
        region="eu-west-1",
    )
    with pytest.raises(RunFailed):
        run(account, settings(account))
    [message] = published(account)
    assert "exempt its role from the policy's region deny" in message["message"]["email"]
    [error] = json.loads(message["message"]["sqs"])["errors"]
    assert error["region"] == "eu-west-1"
    assert "service control policy" in error["hint"]


def test_throttling_is_retried_by_botocore(account: Fake) -> None:
    # Given CloudFront throttles the first attempt only
    attempts = {"count": 0}

    def throttle_once(**_: Any) -> Any:
        from botocore.awsrequest import AWSResponse, HTTPHeaders

        attempts["count"] += 1
        if attempts["count"] == 1:
            body = b"<ErrorResponse><Error><Code>Throttling</Code><Message>slow down</Message></Error></ErrorResponse>"
            return AWSResponse("https://cloudfront.amazonaws.com", 400, HTTPHeaders(), _Raw(body))
        return None

    account.hook("before-send.cloudfront.ListDistributions", throttle_once)

    # When the run happens, Then it completes: the retry succeeded
    document = run(account, settings(account))
    assert attempts["count"] == 2
    assert document["errors"] == []
    assert actions(document)["unused"] == "deleted"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


def test_a_failed_delete_fails_the_invocation(aws: Fake) -> None:
    aws.certificate("stuck", days=-30)
    aws.fail("iam", "DeleteServerCertificate", "ServiceFailure", "try later", status=500)
    with pytest.raises(RunFailed, match="1 certificate failed to delete"):
        run(aws, settings(aws))
    assert aws.names_left() == {"stuck"}


def test_nothing_for_a_person_is_published_for_machines_only(aws: Fake) -> None:
    aws.certificate("valid", days=300)
    document = run(aws, settings(aws))
    assert document["counts"]["valid"] == 1
    [message] = published(aws)
    assert message["audience"] == "machines"
    assert json.loads(message["message"]["sqs"])["told_because"] == []


def test_every_run_and_never_override_the_calendar(aws: Fake) -> None:
    aws.certificate("valid", days=300)
    run(aws, settings(aws, TELL_PEOPLE="every-run"))
    run(aws, settings(aws, TELL_PEOPLE="never"), event={})  # by hand, with something to tell
    aws.fail("iam", "ListServerCertificates", "AccessDenied", "no")
    with pytest.raises(RunFailed):
        run(aws, settings(aws, TELL_PEOPLE="never"))
    assert [message["audience"] for message in published(aws)] == ["people", "machines", "machines"]


def test_member_summary_names_the_account_alias(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    aws.iam.create_account_alias(AccountAlias="acme-prod-edge")
    document = run(aws, settings(aws, READ_ACCOUNT_ALIAS="true"))
    assert document["account_label"] == "acme-prod-edge"
    [message] = published(aws)
    assert message["subject"] == f"cert-cleanup {ACCOUNT} (acme-prod-edge): 1 deleted"
    assert json.loads(message["message"]["sqs"])["account"] == ACCOUNT


@pytest.mark.safety  # make mutate: aws/inventory.py is mutated whole
def test_an_account_without_an_alias_is_named_by_its_id(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    document = run(aws, settings(aws, READ_ACCOUNT_ALIAS="true"))
    assert document["account_label"] is None
    [message] = published(aws)
    assert message["subject"] == f"cert-cleanup {ACCOUNT}: 1 deleted"


def test_unreadable_alias_does_not_stop_the_run(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    aws.fail("iam", "ListAccountAliases", "AccessDenied", "no")
    document = run(aws, settings(aws, READ_ACCOUNT_ALIAS="true"))
    assert document["account_label"] is None
    assert actions(document) == {"old": "deleted"}
