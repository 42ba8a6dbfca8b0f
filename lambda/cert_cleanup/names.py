"""Names shared by the function and the CDK stack: change them here, and both follow.

Plain constants only, so that the CDK app can import this module without the function's
dependencies.
"""

from __future__ import annotations

SERVICE_NAME = "cert-cleanup"
METRICS_NAMESPACE = "CertCleanup"
HANDLER = "cert_cleanup.handler.lambda_handler"

# Environment variables read by the function (see settings.py for their rules).
ENV_SNS_TOPIC_ARN = "SNS_TOPIC_ARN"
ENV_DRY_RUN = "DRY_RUN"
ENV_GRACE_DAYS = "GRACE_DAYS"
ENV_EXPIRY_WARNING_DAYS = "EXPIRY_WARNING_DAYS"
ENV_EXEMPT_TAG_KEY = "EXEMPT_TAG_KEY"
ENV_REGIONS = "REGIONS"
ENV_ARCHIVE_BUCKET = "ARCHIVE_BUCKET"
ENV_ARCHIVE_PREFIX = "ARCHIVE_PREFIX"
ENV_ACCOUNT_LABEL = "ACCOUNT_LABEL"
ENV_READ_ACCOUNT_ALIAS = "READ_ACCOUNT_ALIAS"

DEFAULT_GRACE_DAYS = 0
DEFAULT_EXPIRY_WARNING_DAYS = 30
DEFAULT_EXEMPT_TAG_KEY = "cert-cleanup:exempt"
DEFAULT_ARCHIVE_PREFIX = "cert-cleanup/"

# Every alarm of the stack is named with this prefix: topic and key policies let CloudWatch publish
# for alarms of this name only.
ALARM_NAME_PREFIX = "cert-cleanup-"
# The function's role in an organization member: a fixed name, so that the central topic and key
# can require it (aws:PrincipalArn) instead of trusting every principal of the organization.
MEMBER_ROLE_NAME = "cert-cleanup-member-function"
