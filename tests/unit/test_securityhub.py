"""Security Hub both ways: IAM.26 findings start runs, and each real run writes what it did onto the finding.

moto's Security Hub ignores GetFindings' filters and has neither BatchUpdateFindings nor the OCSF API; the
emulator adds them with AWS's validation (emulator/securityhub.py says which behaviour each patch adds).
"""

from __future__ import annotations

from typing import Any

import pytest

from cert_cleanup import job
from cert_cleanup.aws import securityhub
from cert_cleanup.errors import InvalidEventError, RunFailed
from cert_cleanup.models import Action
from emulator import securityhub as fake_hub
from emulator import seed
from tests.support import ACCOUNT, CONTEXT, SCHEDULED, Fake, summary_settings
from tests.unit.test_run import published

pytestmark = pytest.mark.safety

OTHER_ACCOUNT = "210987654321"


def hub(aws: Fake, region: str = "us-east-1") -> Any:
    return aws.session.client("securityhub", region_name=region)


def enable_with(aws: Fake, *findings: dict[str, Any], region: str = "us-east-1") -> None:
    """Security Hub CSPM enabled in ``region``, holding ``findings`` (ASFF)."""
    hub(aws, region).enable_security_hub()
    if findings:
        answer = hub(aws, region).batch_import_findings(Findings=list(findings))
        assert answer["FailedCount"] == 0


def finding(aws: Fake, finding_id: str) -> dict[str, Any]:
    [found] = [item for item in _all(aws) if item["Id"] == finding_id]
    return found


def _all(aws: Fake) -> list[dict[str, Any]]:
    return [item for page in hub(aws).get_paginator("get_findings").paginate() for item in page["Findings"]]


def handle(aws: Fake, event: object = SCHEDULED, **values: Any) -> dict[str, Any]:
    return job.handle(event, CONTEXT, settings=summary_settings(aws.session, **values), clients=aws.clients)


def with_id(item: dict[str, Any], suffix: str) -> dict[str, Any]:
    return {**item, "Id": item["Id"].replace("example", suffix)}


def test_a_run_that_leaves_no_expired_certificate_resolves_the_finding_with_a_note(aws: Fake) -> None:
    open_one = seed.iam26_finding(ACCOUNT)
    enable_with(aws, open_one)
    aws.certificate("old-1", days=-30)
    aws.certificate("old-2", days=-40)

    document = handle(aws)

    updated = finding(aws, open_one["Id"])
    assert updated["Workflow"]["Status"] == "RESOLVED"
    assert updated["Note"]["UpdatedBy"] == "cert-cleanup"
    assert "deleted 2 (" in updated["Note"]["Text"]
    assert "No expired certificate is left." in updated["Note"]["Text"]
    assert document["security_hub"]["workflow"] == "RESOLVED"
    assert document["security_hub"]["findings"] == [{"format": "asff", "id": open_one["Id"]}]
    assert document["warnings"] == []
    [email] = [sent["message"]["email"] for sent in published(aws) if sent["audience"] == "people"]
    assert "Security Hub IAM.26 finding: 1 IAM.26 finding in us-east-1 set to RESOLVED, with a note." in email


def test_an_expired_certificate_left_for_a_person_is_notified_and_named_with_its_user(aws: Fake) -> None:
    open_one = seed.iam26_finding(ACCOUNT)
    enable_with(aws, open_one)
    used = aws.certificate("shop-2025", days=-30)
    seed.classic_elb(aws.session, "eu-west-1", "shop-elb", used["Arn"])
    aws.certificate("exempt", days=-30, tags={seed.EXEMPT_TAG: "true"})

    document = handle(aws)

    updated = finding(aws, open_one["Id"])
    assert updated["Workflow"]["Status"] == "NOTIFIED"
    text = updated["Note"]["Text"]
    assert "deleted none" in text
    assert "2 expired certificates left" in text
    assert "shop-2025: in use, replace it on" in text
    assert "shop-elb" in text
    assert "exempt: exempt by tag" in text
    assert document["security_hub"]["workflow"] == "NOTIFIED"


def test_the_note_fits_security_hub_s_512_characters_and_says_where_the_rest_is(aws: Fake) -> None:
    open_one = seed.iam26_finding(ACCOUNT)
    enable_with(aws, open_one)
    for index in range(30):
        aws.certificate(f"a-rather-long-certificate-name-{index:02}", days=-30, tags={seed.EXEMPT_TAG: "true"})

    handle(aws)

    text = finding(aws, open_one["Id"])["Note"]["Text"]
    assert len(text) <= securityhub.NOTE_MAX
    assert text.endswith("(the run's result lists all)")


def test_when_many_were_deleted_the_note_shortens_the_deleted_list_and_keeps_what_is_left_and_why(
    aws: Fake,
) -> None:
    open_one = seed.iam26_finding(ACCOUNT)
    enable_with(aws, open_one)
    for index in range(30):
        aws.certificate(f"a-rather-long-certificate-name-{index:02}", days=-30)
    used = aws.certificate("shop-2025", days=-30)
    seed.classic_elb(aws.session, "eu-west-1", "shop-elb", used["Arn"])
    aws.certificate("kept-by-tag", days=-30, tags={seed.EXEMPT_TAG: "true"})

    document = handle(aws)

    text = finding(aws, open_one["Id"])["Note"]["Text"]
    assert document["counts"]["deleted"] == 30
    assert len(text) <= securityhub.NOTE_MAX
    assert "deleted 30 (a-rather-long-certificate-name-" in text
    assert " more). " in text  # the deleted names were shortened, not what is left
    assert "2 expired certificates left: " in text
    assert "shop-2025: in use, replace it on " in text
    assert "shop-elb" in text
    assert text.endswith("kept-by-tag: exempt by tag.")


def test_a_run_whose_listing_failed_never_tells_security_hub_that_nothing_is_left(aws: Fake) -> None:
    asff = seed.iam26_finding(ACCOUNT)
    enable_with(aws, asff)
    ocsf = seed.iam26_ocsf_finding(ACCOUNT)
    fake_hub.add_ocsf_findings(ACCOUNT, "us-east-1", [ocsf])
    aws.certificate("old", days=-30)
    aws.fail("iam", "ListServerCertificates", "AccessDenied", "no")

    with pytest.raises(RunFailed):
        handle(aws)

    assert aws.names_left() == {"old"}
    updated = finding(aws, asff["Id"])
    assert updated["Workflow"]["Status"] == "NOTIFIED"
    text = updated["Note"]["Text"]
    assert "No expired certificate is left" not in text
    assert "could not list the account's server certificates (AccessDenied)" in text
    assert "expired certificates may be left" in text
    [after] = [item for page in hub(aws).get_paginator("get_findings_v2").paginate() for item in page["Findings"]]
    assert (after["status_id"], after["comment"]) == (2, text)


def test_a_run_with_a_failed_usage_lookup_is_notified_and_says_what_it_could_not_check(aws: Fake) -> None:
    open_one = seed.iam26_finding(ACCOUNT)
    enable_with(aws, open_one)
    aws.certificate("old", days=-30)
    aws.fail("elb", "DescribeLoadBalancers", "Throttling", "slow down", region="eu-west-1")

    with pytest.raises(RunFailed):
        handle(aws)

    updated = finding(aws, open_one["Id"])
    assert updated["Workflow"]["Status"] == "NOTIFIED"
    text = updated["Note"]["Text"]
    assert "1 lookup failed: nothing unproven was deleted." in text
    assert "1 expired certificate left: old: not checked (a lookup failed)." in text


def test_only_the_account_s_own_open_iam_26_findings_are_touched(aws: Fake) -> None:
    open_one = seed.iam26_finding(ACCOUNT)
    untouched = {
        "another control": with_id(seed.iam26_finding(ACCOUNT, control="IAM.3"), "iam3"),
        "suppressed": with_id(seed.iam26_finding(ACCOUNT, workflow="SUPPRESSED"), "suppressed"),
        "passed": with_id(seed.iam26_finding(ACCOUNT, status="PASSED"), "passed"),
        "archived": with_id(seed.iam26_finding(ACCOUNT, record_state="ARCHIVED"), "archived"),
        "another account": seed.iam26_finding(OTHER_ACCOUNT),
    }
    enable_with(aws, open_one, *untouched.values())
    aws.certificate("old", days=-30)

    document = handle(aws)

    assert [item["id"] for item in document["security_hub"]["findings"]] == [open_one["Id"]]
    for name, item in untouched.items():
        after = finding(aws, item["Id"])
        assert "Note" not in after, name
        assert after["Workflow"] == item["Workflow"], name


def test_more_than_100_findings_are_updated_100_at_a_time(aws: Fake) -> None:
    many = [with_id(seed.iam26_finding(ACCOUNT), f"n{index:03}") for index in range(150)]
    enable_with(aws, *many)
    aws.certificate("old", days=-30)
    settings = summary_settings(aws.session)
    aws.count_calls()

    document = job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients)

    assert len(document["security_hub"]["findings"]) == 150
    assert aws.calls[("securityhub", "us-east-1", "BatchUpdateFindings")] == 2
    assert {finding(aws, item["Id"])["Workflow"]["Status"] for item in many} == {"RESOLVED"}


def test_the_new_security_hub_s_ocsf_finding_gets_the_comment_and_status_id(aws: Fake) -> None:
    ocsf = seed.iam26_ocsf_finding(ACCOUNT)
    suppressed = seed.iam26_ocsf_finding(ACCOUNT, status_id=3)
    suppressed["finding_info"] = {**suppressed["finding_info"], "uid": "suppressed-one"}
    elsewhere = seed.iam26_ocsf_finding(OTHER_ACCOUNT)
    fake_hub.add_ocsf_findings(ACCOUNT, "us-east-1", [ocsf, suppressed, elsewhere])
    aws.certificate("old", days=-30)

    document = handle(aws)

    assert document["security_hub"]["findings"] == [{"format": "ocsf", "id": ocsf["finding_info"]["uid"]}]
    after = {
        (item["cloud"]["account"]["uid"], item["finding_info"]["uid"]): item
        for page in hub(aws).get_paginator("get_findings_v2").paginate()
        for item in page["Findings"]
    }
    updated = after[(ACCOUNT, ocsf["finding_info"]["uid"])]
    assert (updated["status_id"], updated["status"]) == (4, "Resolved")
    assert updated["comment"].startswith("cert-cleanup ")
    assert after[(ACCOUNT, "suppressed-one")]["status_id"] == 3
    assert "comment" not in after[(ACCOUNT, "suppressed-one")]
    other = after[(OTHER_ACCOUNT, elsewhere["finding_info"]["uid"])]
    assert other["status_id"] == 1
    assert "comment" not in other
    # CSPM is not enabled here: that one is a warning, the new Security Hub was updated
    [warning] = document["warnings"]
    assert "Security Hub is not enabled here (InvalidAccessException" in warning


def _ocsf(uid: str, **fields: Any) -> dict[str, Any]:
    finding = seed.iam26_ocsf_finding(ACCOUNT)
    return {**finding, "finding_info": {**finding["finding_info"], "uid": uid}, **fields}


def test_the_ocsf_write_back_touches_only_security_hub_s_own_open_findings(aws: Fake) -> None:
    open_ones = [_ocsf("new", status_id=1), _ocsf("unknown", status_id=0), _ocsf("in-progress", status_id=2)]
    foreign = seed.iam26_ocsf_finding(ACCOUNT)
    untouched = {
        "suppressed": _ocsf("suppressed", status_id=3),
        "resolved": _ocsf("resolved", status_id=4),
        "archived": _ocsf("archived", status_id=5),
        "other": _ocsf("other", status_id=99),
        "passed": _ocsf("passed", compliance={**foreign["compliance"], "status": "Pass"}),
        "another product": _ocsf(
            "foreign", metadata={"product": {"uid": "arn:aws:securityhub:us-east-1::productv2/acme/scanner"}}
        ),
    }
    fake_hub.add_ocsf_findings(ACCOUNT, "us-east-1", [*open_ones, *untouched.values()])
    aws.certificate("old", days=-30)

    document = handle(aws)

    written = sorted(item["id"] for item in document["security_hub"]["findings"])
    assert written == ["in-progress", "new", "unknown"]
    after = {
        item["finding_info"]["uid"]: item
        for page in hub(aws).get_paginator("get_findings_v2").paginate()
        for item in page["Findings"]
    }
    for name, item in untouched.items():
        uid = item["finding_info"]["uid"]
        assert after[uid]["status_id"] == item["status_id"], name
        assert "comment" not in after[uid], name


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("GetFindingsV2", "ThrottlingException"),
        ("GetFindingsV2", "AccessDeniedException"),
        ("DescribeSecurityHubV2", "ThrottlingException"),
        ("BatchUpdateFindingsV2", "AccessDeniedException"),
    ],
)
def test_an_ocsf_failure_other_than_not_in_use_is_a_warning_in_the_result_and_the_email(
    aws: Fake, operation: str, code: str
) -> None:
    enable_with(aws, seed.iam26_finding(ACCOUNT))
    fake_hub.add_ocsf_findings(ACCOUNT, "us-east-1", [seed.iam26_ocsf_finding(ACCOUNT)])
    aws.certificate("old", days=-30)
    aws.fail("securityhub", operation, code, "no")

    document = handle(aws)

    assert document["counts"]["deleted"] == 1
    assert document["errors"] == []
    [warning] = document["warnings"]
    assert warning.startswith("IAM.26 findings (OCSF) not ")
    assert f"in us-east-1 ({code}: no)" in warning
    assert document["security_hub"]["outcome"] == "1 IAM.26 finding in us-east-1 set to RESOLVED, with a note"
    [email] = [sent["message"]["email"] for sent in published(aws) if sent["audience"] == "people"]
    assert f"Warning: {warning}." in email


def test_the_new_security_hub_not_in_use_is_no_warning(aws: Fake) -> None:
    enable_with(aws, seed.iam26_finding(ACCOUNT))
    aws.certificate("old", days=-30)
    aws.count_calls()

    document = handle(aws)

    assert document["warnings"] == []
    assert aws.calls[("securityhub", "us-east-1", "DescribeSecurityHubV2")] == 1
    assert aws.calls[("securityhub", "us-east-1", "GetFindingsV2")] == 0


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("GetFindings", "AccessDeniedException"),
        ("GetFindings", "TooManyRequestsException"),
        ("BatchUpdateFindings", "AccessDeniedException"),
        ("BatchUpdateFindings", "InternalException"),
    ],
)
def test_a_security_hub_failure_is_a_warning_never_a_failed_run_or_a_kept_certificate(
    aws: Fake, operation: str, code: str
) -> None:
    enable_with(aws, seed.iam26_finding(ACCOUNT))
    aws.certificate("old", days=-30)
    aws.fail("securityhub", operation, code, "no")

    document = handle(aws)  # does not raise RunFailed

    assert document["counts"]["deleted"] == 1
    assert aws.names_left() == set()
    assert document["errors"] == []
    [warning] = document["warnings"]
    assert warning.startswith("IAM.26 findings not updated in us-east-1")
    assert f"{code}: no" in warning
    [email] = [sent["message"]["email"] for sent in published(aws) if sent["audience"] == "people"]
    assert f"Warning: {warning}." in email


def test_security_hub_off_is_a_warning(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    document = handle(aws)
    assert document["counts"]["deleted"] == 1
    [warning] = document["warnings"]
    assert "Security Hub is not enabled here" in warning
    assert document["security_hub"]["findings"] == []


@pytest.mark.parametrize("values", [{"DRY_RUN": "true"}, {"UPDATE_FINDINGS": "false"}], ids=["dry run", "turned off"])
def test_a_dry_run_or_the_setting_off_calls_no_security_hub(aws: Fake, values: dict[str, str]) -> None:
    open_one = seed.iam26_finding(ACCOUNT)
    enable_with(aws, open_one)
    aws.certificate("old", days=-30)
    aws.count_calls()
    document = handle(aws, **values)
    assert aws.calls_to("securityhub") == 0
    assert document["security_hub"] is None
    assert "Note" not in finding(aws, open_one["Id"])


def test_the_finding_is_written_in_us_east_1_from_a_function_in_another_region(aws: Fake) -> None:
    from tests.unit.test_partitions import _account_in, _upload

    open_one = seed.iam26_finding(ACCOUNT)
    enable_with(aws, open_one)
    session, clients, signed, context = _account_in("eu-west-1", aws)
    _upload(session, "old", -30)
    job.handle(SCHEDULED, context, settings=summary_settings(session), clients=clients)
    assert ("securityhub", "us-east-1") in signed.calls
    assert finding(aws, open_one["Id"])["Workflow"]["Status"] == "RESOLVED"


def test_govcloud_has_no_iam_26_finding_to_update(aws: Fake) -> None:
    from tests.unit.test_partitions import _account_in, _upload

    gov, gov_clients, gov_signed, gov_context = _account_in("us-gov-west-1", aws)
    _upload(gov, "old", -30)
    document = job.handle(SCHEDULED, gov_context, settings=summary_settings(gov), clients=gov_clients)
    assert document["counts"]["deleted"] == 1
    assert "does not exist in this partition" in document["security_hub"]["outcome"]
    assert "securityhub" not in gov_signed.services()


# --- findings and the custom action start runs -------------------------------------------------------


def test_a_finding_of_another_account_is_refused_before_any_aws_call(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    settings = summary_settings(aws.session)
    aws.count_calls()
    with pytest.raises(InvalidEventError, match=f"for account {OTHER_ACCOUNT}"):
        job.handle(
            seed.finding_event(seed.iam26_finding(OTHER_ACCOUNT)), CONTEXT, settings=settings, clients=aws.clients
        )
    assert sum(aws.calls.values()) == 0
    assert aws.names_left() == {"old"}


@pytest.mark.parametrize(
    "event",
    [
        seed.finding_event(seed.iam26_finding(ACCOUNT)),
        seed.finding_event(seed.iam26_ocsf_finding(ACCOUNT), detail_type="Findings Imported V2"),
    ],
    ids=["asff", "ocsf"],
)
def test_a_burst_of_finding_events_tells_a_person_each_deletion_once(aws: Fake, event: dict[str, Any]) -> None:
    enable_with(aws, seed.iam26_finding(ACCOUNT))
    aws.certificate("old", days=-30)
    used = aws.certificate("shop", days=-30)
    seed.classic_elb(aws.session, "us-east-1", "shop-elb", used["Arn"])

    first = handle(aws, event)
    burst = [handle(aws, event) for _ in range(3)]  # the update of the finding is itself an event

    assert first["told_because"] == ["1 certificate deleted"]
    assert [document["told_because"] for document in burst] == [[], [], []]
    assert [document["audience"] for document in burst] == ["machines"] * 3
    people = [message for message in published(aws) if message["audience"] == "people"]
    assert len(people) == 1


def test_a_run_that_finds_a_certificate_already_deleted_by_an_overlapping_run_tells_nobody(aws: Fake) -> None:
    """Two finding-started runs overlap: both list the certificate, one deletes it, the other finds it gone."""
    aws.certificate("old", days=-30)
    deleted_by_the_other_run: list[str] = []

    def the_other_run_deletes_first(params: dict[str, Any], **_: Any) -> None:
        if not deleted_by_the_other_run:
            deleted_by_the_other_run.append(params["ServerCertificateName"])
            aws.iam.delete_server_certificate(ServerCertificateName=params["ServerCertificateName"])

    aws.hook("provide-client-params.iam.DeleteServerCertificate", the_other_run_deletes_first)
    document = handle(aws, seed.finding_event(seed.iam26_finding(ACCOUNT)), UPDATE_FINDINGS="false")

    assert deleted_by_the_other_run == ["old"]
    [row] = document["certificates"]
    assert row["action"] == Action.ALREADY_GONE
    assert "delete_answer" not in row
    assert document["counts"]["deleted"] == 0
    assert document["told_because"] == []


def test_a_certificate_gone_before_the_check_ahead_of_its_delete_is_not_told_as_this_run_s(aws: Fake) -> None:
    """Another run deleted it between this run's listing and the check right before its delete."""
    aws.certificate("old", days=-30)

    def the_other_run_deleted_it(params: dict[str, Any], **_: Any) -> None:
        names = {
            item["ServerCertificateName"]
            for item in aws.iam.list_server_certificates()["ServerCertificateMetadataList"]
        }
        if params["ServerCertificateName"] in names:
            aws.iam.delete_server_certificate(ServerCertificateName=params["ServerCertificateName"])

    aws.hook("provide-client-params.iam.GetServerCertificate", the_other_run_deleted_it)
    document = handle(aws, seed.finding_event(seed.iam26_finding(ACCOUNT)), UPDATE_FINDINGS="false")

    [row] = document["certificates"]
    assert row["action"] == Action.ALREADY_GONE
    assert document["counts"]["deleted"] == 0
    assert document["told_because"] == []


def test_the_custom_action_is_a_run_by_hand(aws: Fake) -> None:
    enable_with(aws, seed.iam26_finding(ACCOUNT))
    aws.certificate("valid", days=200)
    event = seed.custom_action_event(
        seed.iam26_finding(ACCOUNT), f"arn:aws:securityhub:us-east-1:{ACCOUNT}:action/custom/CertCleanupRun"
    )
    document = handle(aws, event)
    assert document["told_because"] == ["the run was started from Security Hub (custom action)"]
    assert document["dry_run"] is False
