"""What a real account adds to a run: overlapping runs, certificates deleted by others, write-once archives."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from cert_cleanup import job, run
from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.config.settings import Settings
from tests.support import ACCOUNT, CONTEXT, FAST_RETRIES, SCHEDULED, Fake, summary_settings

pytestmark = pytest.mark.safety

BUCKET = "archive-bucket"


def _settings(aws: Fake, **values: Any) -> Settings:
    return summary_settings(aws.session, **values)


def _rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in document["certificates"]}


def test_two_overlapping_runs_without_a_lease_delete_each_certificate_once_and_tell_it_once(aws: Fake) -> None:
    # Given three expired, unused certificates, an archive bucket, and no run lease (the command line when it cannot
    # find the deployed function's): two runs overlap, each with its own clients, and both reach the delete step
    # before either deletes anything (each one's first delete waits for the other's).
    names = {"old-a", "old-b", "old-c"}
    for name in names:
        aws.certificate(name, days=-30)
    aws.session.client("s3").create_bucket(Bucket=BUCKET)
    config = _settings(aws, ARCHIVE_BUCKET=BUCKET)
    both_at_delete = threading.Barrier(2, timeout=60)

    def clients_for_one_run() -> AwsClients:
        session = boto3.Session(region_name="us-east-1")
        waited = threading.Lock()

        def wait_for_the_other_run(**_: Any) -> None:
            if waited.acquire(blocking=False):  # once per run, on its first delete
                both_at_delete.wait()

        session.events.register("before-call.iam.DeleteServerCertificate", wait_for_the_other_run)
        return AwsClients(session, FAST_RETRIES)

    runs = [clients_for_one_run(), clients_for_one_run()]

    # When both run at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        documents = list(
            pool.map(lambda clients: job.handle(SCHEDULED, CONTEXT, settings=config, clients=clients), runs)
        )

    # Then every certificate is gone and neither run failed
    assert aws.names_left() == set()
    assert [document["errors"] for document in documents] == [[], []]
    # And each certificate is this run's deletion in exactly one of them; the other found it already gone, and
    # neither counts nor tells the other's deletion
    for name in names:
        actions = sorted(_rows(document)[name]["action"] for document in documents)
        assert actions == ["already_gone", "deleted"], (name, actions)
    assert sum(document["counts"]["deleted"] for document in documents) == len(names)
    # And the run that deleted each certificate archived it first, under a key of its own run
    s3 = aws.session.client("s3")
    for name in names:
        [deleter] = [_rows(d)[name] for d in documents if _rows(d)[name]["action"] == "deleted"]
        key = deleter["archived_to"].removeprefix(f"s3://{BUCKET}/")
        assert s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 0


def test_certificate_deleted_by_someone_else_after_its_tags_were_read_is_already_gone_not_this_runs(
    aws: Fake,
) -> None:
    # Given an archive bucket, and a certificate someone else deletes right after this run read it
    aws.certificate("gone", days=-30)
    aws.certificate("other", days=-30)
    aws.session.client("s3").create_bucket(Bucket=BUCKET)

    def delete_behind_the_runs_back(params: dict[str, Any], **_: Any) -> None:
        if params["ServerCertificateName"] == "gone" and "gone" in aws.names_left():
            aws.iam.delete_server_certificate(ServerCertificateName="gone")

    aws.hook("provide-client-params.iam.GetServerCertificate", _second_read(delete_behind_the_runs_back))

    # When the run archives and deletes
    document = job.handle(SCHEDULED, CONTEXT, settings=_settings(aws, ARCHIVE_BUCKET=BUCKET), clients=aws.clients)

    # Then it is already gone: not this run's deletion, not archived by it, not a failure; the other is deleted
    rows = _rows(document)
    assert (rows["gone"]["action"], rows["gone"]["reason"]) == ("already_gone", run.ALREADY_GONE)
    assert "archived_to" not in rows["gone"]
    assert rows["other"]["action"] == "deleted"
    assert document["errors"] == []
    assert document["counts"]["deleted"] == 1


def _second_read(then: Any) -> Any:
    """A before-call hook that runs ``then`` at the second GetServerCertificate of each certificate: the first
    reads the tags (and material), the second is the check right before the delete."""
    seen: dict[str, int] = {}

    def hook(params: dict[str, Any], **kwargs: Any) -> None:
        name = params["ServerCertificateName"]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 2:
            then(params=params, **kwargs)

    return hook


def test_a_failed_read_of_the_archive_material_keeps_every_certificate(aws: Fake) -> None:
    # Given an archive bucket: the material is read with the tags, so its failure is a failed tag read. The read
    # fails for one certificate and succeeds for the other, which the search then proves unused
    aws.certificate("unreadable", days=-30)
    aws.certificate("readable", days=-30)
    aws.session.client("s3").create_bucket(Bucket=BUCKET)

    def fail_for_unreadable(params: dict[str, Any], **_: Any) -> Any:
        if params["body"].get("ServerCertificateName") == "unreadable":
            error = {"Error": {"Code": "ServiceFailure", "Message": "try later"}}
            return AWSResponse("https://fake", 500, HTTPHeaders(), None), error
        return None

    aws.hook("before-call.iam.GetServerCertificate", fail_for_unreadable)

    result = run.cleanup(
        _settings(aws, ARCHIVE_BUCKET=BUCKET), aws.clients, run.RunOptions.create(ACCOUNT, dry_run=False)
    )

    # Then the run's one failed lookup keeps the other certificate too: no delete is even tried
    assert {row.certificate.name: row.action.value for row in result.certificates} == {
        "unreadable": "usage_unknown",
        "readable": "usage_unknown",
    }
    assert [(error.operation, error.code) for error in result.errors] == [("GetServerCertificate", "ServiceFailure")]
    assert aws.deletes == []
    assert aws.names_left() == {"unreadable", "readable"}


def test_an_existing_archive_is_never_overwritten_and_the_certificate_is_kept(aws: Fake) -> None:
    # Given an archive object already at the key this run would write
    aws.certificate("old", days=-30)
    s3 = aws.session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    key = "cert-cleanup/123456789012/old/run-1.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"the record of an earlier deletion")

    # When a run with that id archives the certificate
    options = run.RunOptions.create("123456789012", dry_run=False, run_id="run-1")
    result = run.cleanup(_settings(aws, ARCHIVE_BUCKET=BUCKET), aws.clients, options)

    # Then S3 refuses the write (If-None-Match), the record is intact, and nothing is deleted
    [row] = result.certificates
    assert row.action.value == "failed"
    assert "PreconditionFailed" in row.reason
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"the record of an earlier deletion"
    assert aws.names_left() == {"old"}


@pytest.mark.parametrize("topic_region", ["eu-west-1", "ap-southeast-2"])
def test_summary_is_published_in_the_topic_region(aws: Fake, topic_region: str) -> None:
    # Given a function in us-east-1 whose topic lives in another region
    from moto.sns.models import sns_backends

    aws.certificate("old", days=-30)
    topic = aws.session.client("sns", region_name=topic_region).create_topic(Name="central")["TopicArn"]
    config = Settings.build(SNS_TOPIC_ARN=topic)

    job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)

    # Then the summary reached that topic, in its region
    [published] = sns_backends["123456789012"][topic_region].topics[topic].sent_notifications
    assert "old" in published[1]


@pytest.mark.parametrize("archive", [False, True], ids=["no-archive", "archive"])
def test_a_certificate_replaced_under_the_same_name_during_the_search_is_not_deleted(aws: Fake, archive: bool) -> None:
    # Given an expired certificate, replaced by a valid one of the same name while the run searches
    aws.certificate("renewed", days=-5)
    values = {}
    if archive:
        aws.session.client("s3").create_bucket(Bucket=BUCKET)
        values["ARCHIVE_BUCKET"] = BUCKET
    replaced: list[str] = []

    def replace_while_searching(**_: Any) -> None:
        if not replaced:
            aws.iam.delete_server_certificate(ServerCertificateName="renewed")
            replaced.append(aws.certificate("renewed", days=365)["ServerCertificateId"])

    aws.hook("before-call.ec2.DescribeRegions", replace_while_searching)

    # When the run deletes what it proved unused
    [row] = run.cleanup(
        _settings(aws, **values), aws.clients, run.RunOptions.create(ACCOUNT, dry_run=False)
    ).certificates

    # Then the new certificate is still there: the name no longer holds the one the run listed
    assert aws.names_left() == {"renewed"}
    assert row.action.value == "usage_unknown"
    assert row.reason.startswith(f"not deleted: the name now holds another certificate ({replaced[0]}, listed as ")
    assert row.archived_to is None  # nothing archived under the old certificate's name either
