"""Names shared by the function and the CDK stack: change them here, and both follow.

Plain constants only (this module imports nothing), read by the function, the command line, the stack and
the tests.
"""

from __future__ import annotations

SERVICE_NAME = "cert-cleanup"
DIGEST_SERVICE_NAME = f"{SERVICE_NAME}-digest"  # the digest function's logs and metrics
METRICS_NAMESPACE = "CertCleanup"
# The metrics the functions emit and the dashboards draw: one per action after each run, the failed lookups,
# and the digest's figures.
METRIC_CERTIFICATES = "Certificates_{action}"
METRIC_FAILED_LOOKUPS = "FailedLookups"
DIGEST_METRICS = (
    "Accounts",
    "AccountsNeedingAPerson",
    "AccountsWithIncidents",
    "ResultsLeftQueued",
    "ResultsNotBelieved",  # a member's result claiming another account, dated ahead, or older than held
)
HANDLER = "cert_cleanup.handler.lambda_handler"
DIGEST_HANDLER = "cert_cleanup.digest_handler.lambda_handler"

# Environment variables read by the function (see settings.py for their rules).
ENV_SNS_TOPIC_ARN = "SNS_TOPIC_ARN"
ENV_DRY_RUN = "DRY_RUN"
ENV_GRACE_DAYS = "GRACE_DAYS"
ENV_EXPIRY_WARNING_DAYS = "EXPIRY_WARNING_DAYS"
ENV_EXEMPT_TAG_KEY = "EXEMPT_TAG_KEY"
ENV_ARCHIVE_BUCKET = "ARCHIVE_BUCKET"
ENV_ACCOUNT_LABEL = "ACCOUNT_LABEL"
ENV_READ_ACCOUNT_ALIAS = "READ_ACCOUNT_ALIAS"
ENV_TELL_PEOPLE = "TELL_PEOPLE"
ENV_REMINDER_DAYS = "REMINDER_DAYS"
ENV_RUN_INTERVAL_MINUTES = "RUN_INTERVAL_MINUTES"
ENV_SCHEDULE_KIND = "SCHEDULE_KIND"
ENV_REEVALUATE_CONFIG_RULE = "REEVALUATE_CONFIG_RULE"
ENV_UPDATE_FINDINGS = "UPDATE_FINDINGS"
ENV_CHAT_TOPIC_ARN = "CHAT_TOPIC_ARN"
# The stack's run-lease table (aws/lease.py): one run at a time acts on the account. The command line reads it as
# CERT_CLEANUP_LEASE_TABLE, or finds it in the stack's LEASE_TABLE_OUTPUT.
ENV_LEASE_TABLE = "LEASE_TABLE"
ENV_CLI_LEASE_TABLE = "CERT_CLEANUP_LEASE_TABLE"
LEASE_TABLE_OUTPUT = "LeaseTableName"
# The tag every run-lease table carries, wherever the construct is deployed: the command line finds a lease whose
# stack is not named CertCleanup by it (ListTables, then ListTagsOfResource on the tables named like one).
LEASE_TABLE_TAG_KEY = "cert-cleanup:role"
LEASE_TABLE_TAG_VALUE = "run-lease"
LEASE_TABLE_ID = "RunLease"  # the table's construct id: CloudFormation puts it in the table's generated name
# Organization members: the central event bus each member puts its run result on (EventBridge stamps the
# event with the sender's account, which the digest believes instead of the result's own claim).
ENV_RESULTS_BUS_ARN = "RESULTS_BUS_ARN"
# Why a run that deletes searches every enabled region: said wherever a narrower search is refused.
WHY_EVERY_REGION = "a narrowed search cannot prove a certificate unused"
# Settings that were removed, and why: refused by name rather than ignored.
REMOVED_SETTINGS = {
    "REGIONS": (
        f"no longer accepted: every run searches all regions enabled for the account, because {WHY_EVERY_REGION}; "
        "to look at some regions only, use `cert-cleanup scan --region`"
    ),
    "ARCHIVE_PREFIX": (
        "no longer accepted: archives are always written under cert-cleanup/<account id>/, the prefix the "
        "function's permission names"
    ),
}
# The organization digest's function.
ENV_DIGEST_QUEUE_URL = "DIGEST_QUEUE_URL"
ENV_REPORT_BUCKET = "REPORT_BUCKET"
# The OUs (or root) the StackSet targets: the digest lists their accounts to name those not reporting.
ENV_ORGANIZATIONAL_UNIT_IDS = "ORGANIZATIONAL_UNIT_IDS"
# The digest's queue keeps a result this long; a message a running digest holds stays invisible longer than
# the digest function's timeout, so it is not read twice. Reports are written under REPORT_PREFIX.
DIGEST_QUEUE_RETENTION_DAYS = 14
DIGEST_QUEUE_VISIBILITY_MINUTES = 20
REPORT_PREFIX = "digests/"
# What the digest holds between digests (each account's latest believed result, when it was last heard from):
# one object in the report bucket, read and rewritten by each digest.
DIGEST_STATE_KEY = "state/accounts.json"
# A member's result as an EventBridge event on the central bus: its source and detail-type, which the bus's
# policy requires and its rule matches (the rule delivers it to the digest's queue).
RESULT_EVENT_SOURCE = "cert-cleanup"
RESULT_DETAIL_TYPE = "cert-cleanup run result"
RESULT_EVENT_PATTERN: dict[str, object] = {"source": [RESULT_EVENT_SOURCE], "detail-type": [RESULT_DETAIL_TYPE]}

DEFAULT_GRACE_DAYS = 0
DEFAULT_EXPIRY_WARNING_DAYS = 30
DEFAULT_EXEMPT_TAG_KEY = "cert-cleanup:exempt"
# Archives are written under <prefix><account id>/: the function writes there, and its role may write nowhere else.
ARCHIVE_PREFIX = "cert-cleanup/"
DEFAULT_REMINDER_DAYS = (30, 14, 7, 3, 1)
DEFAULT_RUN_INTERVAL_MINUTES = 24 * 60
# When a person is emailed: on a change or reminder (see notify/when.py), on every run, or never
# (organization members: the central digest tells people instead).
TELL_PEOPLE_CHOICES = ("on-change", "every-run", "never")

# Every publish carries the SNS message attribute AUDIENCE: "people" when a person should read it,
# "machines" otherwise. Email subscriptions to the results topic carry PEOPLE_FILTER_POLICY: they receive
# the first, never the second. Alarms go to a topic of their own, unfiltered: a CloudWatch notification
# has no attribute, and SNS matches no attribute filter against a message without attributes.
AUDIENCE_ATTRIBUTE = "audience"
AUDIENCE_PEOPLE = "people"
AUDIENCE_MACHINES = "machines"
PEOPLE_FILTER_POLICY: dict[str, object] = {AUDIENCE_ATTRIBUTE: [AUDIENCE_PEOPLE]}
# KIND says what a message is: a run's result or the digest itself. (The organization digest collects results
# from its event bus, not from the topic: SNS does not say who published.)
KIND_ATTRIBUTE = "kind"
KIND_RUN_RESULT = "run-result"
KIND_DIGEST = "digest"
# Security Hub IAM.26 is evaluated by this AWS Config managed rule, in these regions only.
CONFIG_RULE_IDENTIFIER = "IAM_SERVER_CERTIFICATE_EXPIRATION_CHECK"
CONFIG_RULE_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1"}
CONFIG_RULE_REGION_LIST = tuple(sorted(set(CONFIG_RULE_REGIONS.values())))

# Every alarm of the stack is named with this prefix: topic and key policies let CloudWatch publish
# for alarms of this name only.
ALARM_NAME_PREFIX = "cert-cleanup-"
# The function's role in an organization member: a fixed name, so that the central topic and key
# can require it (aws:PrincipalArn) instead of trusting every principal of the organization.
MEMBER_ROLE_NAME = "cert-cleanup-member-function"
# The role EventBridge assumes in a member to forward its result from the member's default bus to the central bus
# (a cross-account bus target needs one): the central bus's policy admits this role name only.
MEMBER_FORWARDER_ROLE_NAME = "cert-cleanup-member-forwarder"
# The function's memory, chosen from `make bench`'s table of projected duration and cost per memory
# size (docs/benchmarks.md): a quota-scale run is CPU-bound at every size, so it costs the same at
# any of them, and one full vCPU (1769 MB) makes it the fastest.
FUNCTION_MEMORY_MB = 1769
