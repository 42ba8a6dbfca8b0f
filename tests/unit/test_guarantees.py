"""The safety guarantees stated one by one, each a test that fails when its code is broken on purpose."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.parsers import ResponseParserError

from cert_cleanup import job
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from emulator import seed
from tests.support import CONTEXT, SCHEDULED, Fake, summary_settings

pytestmark = pytest.mark.safety


def _settings(aws: Fake) -> Settings:
    return summary_settings(aws.session)


def _rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in document["certificates"]}


def test_certificate_used_only_as_an_additional_listener_certificate_is_kept(aws: Fake) -> None:
    # Given an expired certificate whose only user is one HTTPS listener in eu-west-1, as an
    # additional (SNI) certificate: DescribeListeners shows only the listener's default certificate
    default = aws.certificate("default", days=200)["Arn"]
    sni = aws.certificate("sni-only", days=-30)["Arn"]
    listener = seed.alb_with_certificates(aws.session, "eu-west-1", "shop", default, [sni])
    listed = aws.session.client("elbv2", region_name="eu-west-1").describe_listeners(ListenerArns=[listener])
    assert [c["CertificateArn"] for c in listed["Listeners"][0]["Certificates"]] == [default]

    # When the scheduled run happens
    document = job.handle(SCHEDULED, CONTEXT, settings=_settings(aws), clients=aws.clients)

    # Then the search found it in use, naming the listener, and no delete of it was even tried (IAM's DeleteConflict
    # is off in the emulator, as AWS does not promise it: only the search keeps it)
    assert _rows(document)["sni-only"]["action"] == "in_use"
    assert _rows(document)["sni-only"]["used_by"] == [listener]
    assert "sni-only" not in aws.deletes
    assert "sni-only" in aws.names_left()


def test_a_reference_that_differs_only_in_case_keeps_the_certificate(aws: Fake) -> None:
    # Given an expired certificate "legacy-api", and an AppSync domain whose certificateArn names it
    # in other case: IAM names are unique regardless of case, so this may be the same certificate
    arn = aws.certificate("legacy-api", days=-30)["Arn"]
    shouted = arn.replace("legacy-api", "LEGACY-API")
    domain = seed.appsync_domain(aws.session, "eu-west-1", "api.example.com", shouted)

    document = job.handle(SCHEDULED, CONTEXT, settings=_settings(aws), clients=aws.clients)

    assert _rows(document)["legacy-api"]["action"] == "in_use"
    assert _rows(document)["legacy-api"]["used_by"] == [domain]
    assert aws.deletes == []
    assert "legacy-api" in aws.names_left()


def _unparseable(**_: Any) -> Any:
    """A 5xx page that is not the service's XML: botocore raises ResponseParserError (not a BotoCoreError)."""
    raise ResponseParserError("Unable to parse response (syntax error), invalid XML received: b'<!doctype html>'")


def test_an_unparseable_answer_to_a_lookup_fails_the_run_closed(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    aws.hook("before-call.elasticloadbalancing.DescribeLoadBalancers", _unparseable)

    with pytest.raises(RunFailed, match="ResponseParserError"):
        job.handle(SCHEDULED, CONTEXT, settings=_settings(aws), clients=aws.clients)
    assert aws.names_left() == {"old"}


def test_an_unparseable_answer_to_a_delete_is_reported_not_a_crash(aws: Fake) -> None:
    # Given two deletable certificates, and the delete of one answered with an unparseable page
    aws.certificate("first", days=-30)
    aws.certificate("second", days=-30)

    def for_first(params: dict[str, Any], **kwargs: Any) -> Any:
        if params["body"].get("ServerCertificateName") == "first":
            _unparseable(**kwargs)
        return None

    aws.hook("before-call.iam.DeleteServerCertificate", for_first)

    # When the run happens, it still reports every certificate and publishes, then fails visibly
    with pytest.raises(RunFailed, match="1 certificate failed to delete"):
        job.handle(SCHEDULED, CONTEXT, settings=_settings(aws), clients=aws.clients)
    assert aws.names_left() == {"first"}
