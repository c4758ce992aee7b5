"""The CloudFormation side of the platform, generated from the definitions the local stack provisions from.

Tables come from ``registered_tables()``, queues and the topic from ``topology``, problem types from
``errors``: the emulator and AWS read the same classes, so they cannot drift. ``chalice package`` writes
the functions, roles and the REST API; ``render_merge_template`` adds everything else (including the stage's
customer managed KMS key, which wraps members' data keys; locally a key file does) and is deep-merged into that
template by Chalice's own merger, as ``chalice package --merge-template`` would (it only adds keys, never replaces
one).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.exports.rules import entities as bi_entities
from chalicelib.exports.service import columns_of as bi_columns
from chalicelib.shared.db import Record, physical_name, registered_tables, table_definition
from chalicelib.shared.errors import (
    PROBLEM_BASE,
    DomainError,
    Forbidden,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
)
from chalicelib.shared.events import OutboxRecord, relayed_tables
from chalicelib.shared.http import ORIGIN_VERIFY_HEADER
from chalicelib.shared.topology import (
    QUEUES,
    UPLOADS_KEPT_DAYS,
    QueueSpec,
    dead_letter_name,
    filter_policy,
    physical_queue_name,
    physical_topic_name,
    queue_spec,
)

Template = dict[str, Any]

TOPIC_ID = "EventsTopic"
IMPORTS_BUCKET_ID = "ImportsBucket"
PII_KEY_ID = "PiiKey"  # the customer managed KMS key wrapping members' data keys (chalicelib/shared/crypto.py)
PII_KEY_ALIAS_ID = "PiiKeyAlias"
KMS_KEY_PENDING_DAYS = 30  # the waiting period should the key ever be scheduled for deletion (the maximum)
RELAY_DLQ_ID = "OutboxRelayFailureQueue"
RELAY_DLQ_LOGICAL_NAME = "outbox-relay"  # its queue is loyalty-<stage>-outbox-relay-dlq
RELAY_FUNCTION = "outbox_relay"  # the Chalice function the outbox stream feeds
API_FUNCTION = "api_handler"  # Chalice's name for the function behind the REST API ("APIHandler")
TEMPLATE_NAME = "sam.json"  # what `chalice package --pkg-format cloudformation` writes
DEPLOYMENT_ZIP = "deployment.zip"  # the functions' code, written next to it
MERGE_TEMPLATE_NAME = "merge-template.json"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum
PROBLEM_JSON = "application/problem+json"
LOG_RETENTION_DAYS = {"prod": 365}
DEFAULT_LOG_RETENTION_DAYS = 30
# Importing app.py (as chalice package does) validates settings; the template never contains these values.
PACKAGING_PLACEHOLDERS = {
    "LOYALTY_EVENTS_TOPIC_ARN": "arn:aws:sns:cn-north-1:000000000000:packaging-placeholder",
    "LOYALTY_JOBS_QUEUE_URL": "https://sqs.cn-north-1.amazonaws.com.cn/000000000000/packaging-placeholder",
    "LOYALTY_IMPORTS_QUEUE_URL": "https://sqs.cn-north-1.amazonaws.com.cn/000000000000/packaging-placeholder",
    "LOYALTY_IMPORTS_BUCKET": "packaging-placeholder",
    "LOYALTY_KMS_KEY_ID": "arn:aws:kms:cn-north-1:000000000000:key/packaging-placeholder",
}
PACKAGING_DEFAULTS = {
    "AWS_DEFAULT_REGION": "cn-north-1",  # chalice refuses to package without a region; the template is region-free
    "LOYALTY_TABLE_PREFIX": "packaging-placeholder",
    "LOYALTY_CURSOR_SECRET": "packaging-placeholder-packaging-placeholder",
    "LOYALTY_LOOKUP_HASH_KEY": "packaging-placeholder-packaging-placeholder",
    "LOYALTY_JWT_SECRET": "packaging-placeholder-packaging-placeholder",
}
# Local-only settings dropped from the packaging environment: settings accept exactly one key source, the KMS key,
# and test password hashing on the emulator only.
PACKAGING_DROPPED = ("LOYALTY_LOCAL_KEY_FILE", "LOYALTY_PASSWORD_HASHING")


def stage_secret(stage: str, key: str) -> str:
    """A CloudFormation dynamic reference to one key of the stage's secret (``loyalty/<stage>``), resolved at deploy
    time, as ``.chalice/config.json`` hands the functions theirs."""
    return f"{{{{resolve:secretsmanager:loyalty/{stage}:SecretString:{key}}}}}"


def stack_prefix(stage: str) -> str:
    """Every physical name of a stage starts with ``loyalty-<stage>``."""
    return f"loyalty-{stage}"


def function_name(stage: str, chalice_name: str) -> str:
    """The Lambda function name, as ``chalice deploy`` would name it: ``loyalty-<stage>-<chalice name>``."""
    return f"{stack_prefix(stage)}-{chalice_name}"


def _camel(name: str) -> str:
    """A logical id part from a physical name, the way Chalice builds its ids (``daily-stats`` -> ``DailyStats``)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)


def table_id(cls: type[Record]) -> str:
    return f"{_camel(cls.logical_name)}Table"


def queue_id(spec: QueueSpec) -> str:
    return f"{_camel(spec.logical_name)}Queue"


def dead_letter_queue_id(spec: QueueSpec) -> str:
    return f"{_camel(spec.logical_name)}DeadLetterQueue"


def _jobs_queue() -> QueueSpec:
    return queue_spec("jobs")


@dataclass(frozen=True)
class _Problem:
    slug: str
    title: str
    status: int
    detail: str | None = None  # None: API Gateway's own message
    headers: tuple[tuple[str, str], ...] = ()


def _from_error(error: type[DomainError], **kwargs: Any) -> _Problem:
    return _Problem(error.slug, error.title, error.status, **kwargs)


_INTERNAL = _Problem("internal-error", "Internal error", 500)
_RETRY = (("Retry-After", "1"),)
# API Gateway's own answers, rewritten to RFC 9457. Every type is listed with an explicit status so the
# body's "status" always equals the HTTP status. The app's catch-all routes take every unknown path, so
# MISSING_AUTHENTICATION_TOKEN (403 by default) only means a method the path does not declare: 405, as locally.
GATEWAY_RESPONSES: dict[str, _Problem] = {
    "DEFAULT_4XX": _from_error(MalformedRequest),
    "DEFAULT_5XX": _INTERNAL,
    "ACCESS_DENIED": _from_error(Forbidden),
    "API_CONFIGURATION_ERROR": _INTERNAL,
    "AUTHORIZER_CONFIGURATION_ERROR": _INTERNAL,
    "AUTHORIZER_FAILURE": _INTERNAL,
    "BAD_REQUEST_BODY": _from_error(MalformedRequest),
    "BAD_REQUEST_PARAMETERS": _from_error(MalformedRequest),
    "EXPIRED_TOKEN": _from_error(Forbidden),
    "INTEGRATION_FAILURE": _Problem("integration-failure", "The request could not be completed", 504),
    "INTEGRATION_TIMEOUT": _Problem("timeout", "The request timed out", 504),
    "INVALID_API_KEY": _from_error(Forbidden),
    "INVALID_SIGNATURE": _from_error(Forbidden),
    "MISSING_AUTHENTICATION_TOKEN": _from_error(MethodNotAllowed, detail="This path does not accept this method"),
    "QUOTA_EXCEEDED": _from_error(RateLimited, headers=_RETRY),
    "REQUEST_TOO_LARGE": _from_error(PayloadTooLarge),
    "RESOURCE_NOT_FOUND": _from_error(NotFound),
    "THROTTLED": _from_error(RateLimited, headers=_RETRY),
    "UNAUTHORIZED": _from_error(Unauthenticated),
    "UNSUPPORTED_MEDIA_TYPE": _from_error(UnsupportedMediaType),
    "WAF_FILTERED": _from_error(Forbidden),
}


def _gateway_response(problem: _Problem) -> dict[str, Any]:
    """A SAM GatewayResponse answering ``problem`` as problem+json (mapping templates only substitute variables)."""
    detail = json.dumps(problem.detail) if problem.detail else "$context.error.messageString"
    body = (
        f'{{"type":{json.dumps(PROBLEM_BASE + problem.slug)},"title":{json.dumps(problem.title)},'
        f'"status":{problem.status},"detail":{detail}}}'
    )
    headers = {"Content-Type": f"'{PROBLEM_JSON}'", **{name: f"'{value}'" for name, value in problem.headers}}
    return {
        "StatusCode": str(problem.status),
        "ResponseParameters": {"Headers": headers},
        "ResponseTemplates": {"application/json": body},
    }


def pii_key_alias(stage: str) -> str:
    """The alias of the stage's KMS key; the functions' policy admits the key by this alias (it knows no key ARN)."""
    return f"alias/{stack_prefix(stage)}-pii"


def _pii_key_resources(stage: str) -> Template:
    """The customer managed key that wraps each member's data key, and its alias.

    Symmetric, rotated yearly by KMS, kept when the stack is deleted or the key replaced (deleting it would make
    every member's personal data unreadable). The key policy lets the account administer the key and lets IAM
    policies grant its use: the functions' policy grants GenerateDataKey and Decrypt on the key with the alias.
    """
    return {
        PII_KEY_ID: {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": f"{stack_prefix(stage)}: wraps each member's data key (personal data at rest)",
                "KeySpec": "SYMMETRIC_DEFAULT",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "EnableKeyRotation": True,
                "PendingWindowInDays": KMS_KEY_PENDING_DAYS,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersAndIamGrantsUse",
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
            },
        },
        PII_KEY_ALIAS_ID: {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": pii_key_alias(stage), "TargetKeyId": {"Ref": PII_KEY_ID}},
        },
    }


def _table_resource(cls: type[Record], stage: str) -> dict[str, Any]:
    """A table as CloudFormation declares it: the emulator's CreateTable arguments plus recovery and encryption."""
    properties = table_definition(cls, physical_name(stack_prefix(stage), cls.logical_name))
    if "StreamSpecification" in properties:
        properties["StreamSpecification"] = {"StreamViewType": properties["StreamSpecification"]["StreamViewType"]}
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    properties["SSESpecification"] = {"SSEEnabled": True}
    if cls.ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": cls.ttl_attribute, "Enabled": True}
    if stage == "prod":
        properties["DeletionProtectionEnabled"] = True
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _queue_resources(spec: QueueSpec, stage: str, function_ids: dict[str, str]) -> Template:
    """A queue, its dead-letter queue, its topic subscription and the mapping that feeds its handler."""
    prefix = stack_prefix(stage)
    queue, dlq = queue_id(spec), dead_letter_queue_id(spec)
    resources: Template = {
        dlq: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": dead_letter_name(prefix, spec.logical_name),
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        queue: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": physical_queue_name(prefix, spec.logical_name),
                "VisibilityTimeout": spec.visibility_timeout,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                    "maxReceiveCount": spec.max_receives,
                },
            },
        },
        f"{queue}Mapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
                "FunctionName": {"Ref": _function_id(function_ids, spec.handler)},
                "BatchSize": spec.batch_size,
                **({"MaximumBatchingWindowInSeconds": spec.batching_window} if spec.batching_window else {}),
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "Enabled": True,
                **({"ScalingConfig": {"MaximumConcurrency": spec.concurrency}} if spec.concurrency else {}),
            },
        },
    }
    if spec.subscribes_to_events:
        resources[f"{queue}Policy"] = {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": queue}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EventsTopicDelivers",
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": [queue, "Arn"]},
                            "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": TOPIC_ID}}},
                        }
                    ],
                },
            },
        }
        subscription: dict[str, Any] = {
            "TopicArn": {"Ref": TOPIC_ID},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": [queue, "Arn"]},
            "RawMessageDelivery": True,
        }
        policy = filter_policy(spec)
        if policy:
            subscription["FilterPolicy"] = policy
        resources[f"{queue}Subscription"] = {
            "Type": "AWS::SNS::Subscription",
            "DependsOn": [f"{queue}Policy"],
            "Properties": subscription,
        }
    return resources


def _relay_resources(stage: str, function_ids: dict[str, str]) -> Template:
    """The streams feeding the relay (the outbox's, and the ledger accounts' whose items carry a post's events where
    they have room); a batch that keeps failing is recorded in a failure queue. Every other function depends on
    these mappings, so a deploy turns the accounts' stream on and the relay to it before any code carries events
    there, and a rollback undoes the code first.

    The failure queue receives where the failed records are (shard and sequence numbers), not the records; the
    stream keeps them 24 hours and the outbox table keeps each envelope for its retention, to re-publish from (the
    relay parks in the outbox the events an account carried when it cannot publish them).
    """
    if not OutboxRecord.stream:
        raise ValueError("the outbox table needs a stream for the relay")
    resources: Template = {
        RELAY_DLQ_ID: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": dead_letter_name(stack_prefix(stage), RELAY_DLQ_LOGICAL_NAME),
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
    }
    for cls in relayed_tables():
        resources[f"{_camel(cls.logical_name)}StreamMapping"] = {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {"Fn::GetAtt": [table_id(cls), "StreamArn"]},
                "FunctionName": {"Ref": _function_id(function_ids, RELAY_FUNCTION)},
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": 100,
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": 10,
                "MaximumRecordAgeInSeconds": 6 * 3600,
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [RELAY_DLQ_ID, "Arn"]}}},
                "Enabled": True,
            },
        }
    return resources


PRIVATE_BUCKET = {  # encrypted, every public access blocked, objects owned by the bucket's account
    "BucketEncryption": {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    },
    "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    },
    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
}


def _tls_only(bucket_id: str) -> dict[str, Any]:
    """A bucket policy statement refusing every request not made over TLS."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [{"Fn::GetAtt": [bucket_id, "Arn"]}, {"Fn::Sub": f"${{{bucket_id}.Arn}}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def imports_bucket_name(stage: str) -> dict[str, str]:
    """The imports bucket's name: the stage's prefix, then the account and region (bucket names are global)."""
    return {"Fn::Sub": f"{stack_prefix(stage)}-imports-${{AWS::AccountId}}-${{AWS::Region}}"}


def _imports_bucket_resources(stage: str) -> Template:
    """The bucket member import files are uploaded to (presigned PUTs) and read from by the import workers.

    Private (every public access blocked, TLS only), encrypted, and each file deleted ``UPLOADS_KEPT_DAYS`` after
    its upload: the files hold members' personal data, and an import reads its file within minutes. Browsers of
    the back office may PUT to it (CORS); the presigned URL is the only credential.
    """
    return {
        IMPORTS_BUCKET_ID: {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": imports_bucket_name(stage),
                **PRIVATE_BUCKET,
                "LifecycleConfiguration": {
                    "Rules": [
                        {"Id": "UploadsExpire", "Status": "Enabled", "ExpirationInDays": UPLOADS_KEPT_DAYS},
                        {
                            "Id": "UnfinishedUploadsExpire",
                            "Status": "Enabled",
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        },
                    ]
                },
                "CorsConfiguration": {
                    "CorsRules": [
                        {
                            "AllowedMethods": ["PUT"],
                            "AllowedOrigins": ["*"],
                            "AllowedHeaders": ["content-type"],
                            "MaxAge": 600,
                        }
                    ]
                },
            },
        },
        f"{IMPORTS_BUCKET_ID}Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": IMPORTS_BUCKET_ID},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [_tls_only(IMPORTS_BUCKET_ID)],
                },
            },
        },
    }


EXPORTS_BUCKET_ID = "ExportsBucket"
BI_DATABASE_ID = "BiDatabase"
REPORT_FILES_KEPT_DAYS = 7  # a report exported on demand is downloaded within minutes of its link
GIFT_CARD_CODES_KEPT_DAYS = 30  # a gift card batch's numbers and PINs, for the printer: not kept once printed
BI_FIRST_DAY = "2026-01-01"  # the partition projection's first day (days without files read as empty)


def exports_bucket_name(stage: str) -> dict[str, str]:
    """The exports bucket's name: the stage's prefix, then the account and region."""
    return {"Fn::Sub": f"{stack_prefix(stage)}-exports-${{AWS::AccountId}}-${{AWS::Region}}"}


def bi_database_name(stage: str) -> str:
    """The Glue database Athena queries the BI files through (letters, digits and underscores)."""
    return f"{stack_prefix(stage)}_bi".replace("-", "_")


def _bi_table(stage: str, entity: str) -> dict[str, Any]:
    """An Athena table over one entity's files: CSV (its header skipped), every column a string (cast in the query:
    ``CAST(paid_fen AS bigint)``), partitioned by ``dt`` through partition projection, so a new day is queryable
    without adding its partition."""
    location = {"Fn::Sub": f"s3://${{{EXPORTS_BUCKET_ID}}}/bi/{entity}/"}
    return {
        "Type": "AWS::Glue::Table",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseName": {"Ref": BI_DATABASE_ID},
            "TableInput": {
                "Name": entity,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {
                    "skip.header.line.count": "1",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{BI_FIRST_DAY},NOW",
                    "storage.location.template": {"Fn::Sub": f"s3://${{{EXPORTS_BUCKET_ID}}}/bi/{entity}/dt=${{!dt}}/"},
                },
                "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                "StorageDescriptor": {
                    "Location": location,
                    "Columns": [{"Name": column.replace(".", "_"), "Type": "string"} for column in bi_columns(entity)],
                    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                        # quotes are doubled, as Excel reads them; no cell holds U+0001 (control characters are
                        # written as spaces), so nothing is taken for an escape
                        "Parameters": {"separatorChar": ",", "quoteChar": '"', "escapeChar": "\u0001"},
                    },
                },
            },
        },
    }


def _exports_resources(stage: str) -> Template:
    """The exports bucket: the nightly BI files under ``bi/`` (kept: they are the programme's history for BI) and
    reports exported on demand under ``reports/`` (deleted after ``REPORT_FILES_KEPT_DAYS``), private and encrypted,
    downloaded through pre-signed links; and a Glue database with a table per BI entity for Athena."""
    resources: Template = {
        EXPORTS_BUCKET_ID: {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": exports_bucket_name(stage),
                **PRIVATE_BUCKET,
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "ReportFilesExpire",
                            "Status": "Enabled",
                            "Prefix": "reports/",
                            "ExpirationInDays": REPORT_FILES_KEPT_DAYS,
                        },
                        {
                            "Id": "GiftCardCodesExpire",
                            "Status": "Enabled",
                            "Prefix": "gift-cards/",
                            "ExpirationInDays": GIFT_CARD_CODES_KEPT_DAYS,
                        },
                    ]
                },
            },
        },
        f"{EXPORTS_BUCKET_ID}Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": EXPORTS_BUCKET_ID},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [_tls_only(EXPORTS_BUCKET_ID)]},
            },
        },
        BI_DATABASE_ID: {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseInput": {"Name": bi_database_name(stage), "Description": "The loyalty platform's BI files"},
            },
        },
    }
    for entity in bi_entities():
        resources[f"BiTable{_camel(entity)}"] = _bi_table(stage, entity)
    return resources


WEB_BUCKET_ID = "WebBucket"
WEB_DISTRIBUTION_ID = "WebDistribution"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront's managed cache and origin request policies
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _web_resources(stage: str) -> Template:
    """The back office (/console) and member pages (/m) as static files in a private bucket, served with the API
    (/v1, uncached) by one CloudFront distribution, so the apps call the API on their own origin.

    ``make web`` builds ``web/dist``; ``cli infra publish-web`` uploads it, each app's ``index.html`` also under
    its folder's keys (``console/``, ``console``), since CloudFront in the China regions has no functions to map
    those paths to it. The bucket admits only the distribution's origin access identity (origin access control
    does not exist there either). The headers policy sends the local stack's Content-Security-Policy
    (``chalicelib.local.sites``).

    The API sees an edge's address as the caller's; the distribution forwards the viewer's
    (``CloudFront-Viewer-Address``, in the AllViewerExceptHostHeader policy) and adds the stage's origin secret
    (``X-Origin-Verify``), which the functions hold too: the API believes the viewer's address only beside that secret
    (``chalicelib.shared.http.source_ip``), so per-address limits and the audit log see the member, not the edge.
    """
    from chalicelib.local.sites import content_security_policy

    prefix = stack_prefix(stage)
    api_domain = {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    return {
        WEB_BUCKET_ID: {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": {"Fn::Sub": f"{prefix}-web-${{AWS::AccountId}}-${{AWS::Region}}"},
                **PRIVATE_BUCKET,
            },
        },
        f"{WEB_BUCKET_ID}Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": WEB_BUCKET_ID},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudFrontReadsTheApps",
                            "Effect": "Allow",
                            "Principal": {"CanonicalUser": {"Fn::GetAtt": ["WebOriginIdentity", "S3CanonicalUserId"]}},
                            "Action": "s3:GetObject",
                            "Resource": {"Fn::Sub": f"${{{WEB_BUCKET_ID}.Arn}}/*"},
                        },
                        _tls_only(WEB_BUCKET_ID),
                    ],
                },
            },
        },
        "WebOriginIdentity": {
            "Type": "AWS::CloudFront::CloudFrontOriginAccessIdentity",
            "Properties": {"CloudFrontOriginAccessIdentityConfig": {"Comment": f"{prefix}: reads the web bucket"}},
        },
        "WebHeadersPolicy": {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Properties": {
                "ResponseHeadersPolicyConfig": {
                    "Name": f"{prefix}-web-headers",
                    "SecurityHeadersConfig": {
                        "ContentSecurityPolicy": {
                            "ContentSecurityPolicy": {
                                "Fn::Sub": content_security_policy(
                                    f"https://${{{IMPORTS_BUCKET_ID}.RegionalDomainName}}"
                                )
                            },
                            "Override": True,
                        },
                        "ContentTypeOptions": {"Override": True},
                        "ReferrerPolicy": {"ReferrerPolicy": "same-origin", "Override": True},
                        "StrictTransportSecurity": {"AccessControlMaxAgeSec": 31536000, "Override": True},
                    },
                }
            },
        },
        WEB_DISTRIBUTION_ID: {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Enabled": True,
                    "Comment": f"{prefix}: /console, /m and /v1",
                    "HttpVersion": "http2",
                    "Origins": [
                        {
                            "Id": "web",
                            "DomainName": {"Fn::GetAtt": [WEB_BUCKET_ID, "RegionalDomainName"]},
                            "S3OriginConfig": {
                                "OriginAccessIdentity": {
                                    "Fn::Sub": "origin-access-identity/cloudfront/${WebOriginIdentity}"
                                }
                            },
                        },
                        {
                            "Id": "api",
                            "DomainName": api_domain,
                            "OriginPath": "/api",
                            "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"},
                            "OriginCustomHeaders": [
                                {
                                    "HeaderName": ORIGIN_VERIFY_HEADER,
                                    "HeaderValue": stage_secret(stage, "origin_verify_secret"),
                                }
                            ],
                        },
                    ],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "web",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "CachePolicyId": CACHING_OPTIMIZED,
                        "Compress": True,
                        "ResponseHeadersPolicyId": {"Ref": "WebHeadersPolicy"},
                    },
                    "CacheBehaviors": [
                        {
                            "PathPattern": "/v1/*",
                            "TargetOriginId": "api",
                            "ViewerProtocolPolicy": "https-only",
                            "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                            "CachePolicyId": CACHING_DISABLED,
                            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
                        }
                    ],
                }
            },
        },
    }


def _function_id(function_ids: dict[str, str], chalice_name: str) -> str:
    try:
        return function_ids[chalice_name]
    except KeyError:
        raise ValueError(
            f"no Chalice function named {chalice_name!r}; known: {', '.join(sorted(function_ids))}"
        ) from None


def render_merge_template(stage: str, function_ids: dict[str, str], public_url: str | None = None) -> Template:
    """What is merged into Chalice's template for ``stage`` (as ``chalice package --merge-template`` would).

    ``function_ids`` maps each Chalice function name to its logical id (``function_ids_from_package``). Every
    function gets the topic ARN, the jobs and imports queue URLs, the imports bucket and the KMS key ARN in its
    environment, a fixed name and a log group
    with a retention; the REST API answers its own errors as problem+json.
    """
    prefix = stack_prefix(stage)
    resources: Template = {}
    for cls in registered_tables():
        resources[table_id(cls)] = _table_resource(cls, stage)
    resources[TOPIC_ID] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": physical_topic_name(prefix), "KmsMasterKeyId": "alias/aws/sns"},
    }
    for spec in QUEUES:
        resources.update(_queue_resources(spec, stage, function_ids))
    resources.update(_relay_resources(stage, function_ids))
    resources.update(_pii_key_resources(stage))
    resources.update(_imports_bucket_resources(stage))
    resources.update(_exports_resources(stage))
    if API_FUNCTION in function_ids:
        resources.update(_web_resources(stage))
    for metric in drift_metrics():
        resources[f"{metric}Alarm"] = _drift_alarm(stage, metric)
    environment = {
        "LOYALTY_EVENTS_TOPIC_ARN": {"Ref": TOPIC_ID},
        "LOYALTY_JOBS_QUEUE_URL": {"Ref": queue_id(_jobs_queue())},
        "LOYALTY_IMPORTS_QUEUE_URL": {"Ref": queue_id(queue_spec("imports"))},
        "LOYALTY_IMPORTS_BUCKET": {"Ref": IMPORTS_BUCKET_ID},
        "LOYALTY_EXPORTS": {"Fn::Sub": f"s3://${{{EXPORTS_BUCKET_ID}}}"},
        "LOYALTY_KMS_KEY_ID": {"Fn::GetAtt": [PII_KEY_ID, "Arn"]},
        **({"LOYALTY_PUBLIC_URL": public_url} if public_url else {}),
        **({"LOYALTY_MEDIA": {"Fn::Sub": f"s3://${{{WEB_BUCKET_ID}}}"}} if WEB_BUCKET_ID in resources else {}),
    }
    retention = LOG_RETENTION_DAYS.get(stage, DEFAULT_LOG_RETENTION_DAYS)
    mappings = sorted(name for name in resources if name.endswith("StreamMapping"))
    for chalice_name, logical_id in sorted(function_ids.items()):
        name = function_name(stage, chalice_name)
        resources[logical_id] = {
            "Properties": {"FunctionName": name, "Environment": {"Variables": dict(environment)}},
        }
        if chalice_name != RELAY_FUNCTION:  # updated once the relay reads every stream (and undone before it)
            resources[logical_id]["DependsOn"] = mappings
        resources[f"{logical_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": retention},
        }
    outputs = _outputs()
    if API_FUNCTION in function_ids:
        responses = {kind: _gateway_response(problem) for kind, problem in sorted(GATEWAY_RESPONSES.items())}
        resources["RestAPI"] = {"Properties": {"GatewayResponses": responses}}
        outputs.update(_web_outputs())
    return {"Resources": resources, "Outputs": outputs}


def _web_outputs() -> Template:
    site = {"Fn::GetAtt": [WEB_DISTRIBUTION_ID, "DomainName"]}
    return {
        f"{WEB_BUCKET_ID}Name": {
            "Description": "Publish web/dist here with `cli infra publish-web` (never a sync with --delete: "
            "media/ holds the pictures staff published)",
            "Value": {"Ref": WEB_BUCKET_ID},
        },
        "ConsoleUrl": {
            "Description": "The back office",
            "Value": {"Fn::Sub": ["https://${Site}/console/", {"Site": site}]},
        },
        "MemberPagesUrl": {
            "Description": "The member pages",
            "Value": {"Fn::Sub": ["https://${Site}/m/", {"Site": site}]},
        },
        "WebDistributionId": {
            "Description": "Invalidate /console/* and /m/* after publishing",
            "Value": {"Ref": WEB_DISTRIBUTION_ID},
        },
    }


def drift_metrics() -> list[str]:
    """The drift metric of every registered book (``PointsDrift``, ``GrowthDrift`` ...), as reconciliation
    publishes them, and the reports' figures' (``FiguresDrift``, from ``check-figures``)."""
    import chalicelib.declarations  # noqa: F401  registers every book
    from chalicelib.ledger.jobs import drift_metric
    from chalicelib.ledger.registry import ledger
    from chalicelib.stats.checks import DRIFT_METRIC

    return sorted([*(drift_metric(name) for name in ledger().books), DRIFT_METRIC])


def _drift_alarm(stage: str, metric: str) -> dict[str, Any]:
    """Alarms when ``reconcile-ledger`` finds a book that does not add up (its ``<Book>Drift`` metric, in
    CloudWatch's embedded metric format, with the dimensions powertools gives it: stage and service)."""
    book = metric.removesuffix("Drift")
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{stack_prefix(stage)}-{book.lower()}-drift",
            "AlarmDescription": f"A {book} book does not add up to its entries; see the reconcile-ledger logs",
            "Namespace": "Loyalty",
            "MetricName": metric,
            "Dimensions": [{"Name": "stage", "Value": stage}, {"Name": "service", "Value": "loyalty"}],
            "Statistic": "Sum",
            "Period": 3600,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    }


def _outputs() -> Template:
    outputs: Template = {
        f"{table_id(cls)}Name": {"Description": f"The {cls.logical_name} table", "Value": {"Ref": table_id(cls)}}
        for cls in registered_tables()
    }
    outputs["EventsTopicArn"] = {"Description": "The domain events topic", "Value": {"Ref": TOPIC_ID}}
    for spec in QUEUES:
        for logical_id, what in ((queue_id(spec), "queue"), (dead_letter_queue_id(spec), "dead-letter queue")):
            outputs[f"{logical_id}Url"] = {
                "Description": f"The {spec.logical_name} {what}",
                "Value": {"Ref": logical_id},
            }
    outputs[f"{IMPORTS_BUCKET_ID}Name"] = {"Description": "Member import files", "Value": {"Ref": IMPORTS_BUCKET_ID}}
    outputs[f"{RELAY_DLQ_ID}Url"] = {"Description": "Failed outbox relay batches", "Value": {"Ref": RELAY_DLQ_ID}}
    outputs[f"{PII_KEY_ID}Arn"] = {
        "Description": "The KMS key wrapping members' data keys",
        "Value": {"Fn::GetAtt": [PII_KEY_ID, "Arn"]},
    }
    outputs[f"{PII_KEY_ALIAS_ID}Name"] = {"Description": "The alias of that key", "Value": {"Ref": PII_KEY_ALIAS_ID}}
    return outputs


_FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}


def function_ids_from_package(template: Template) -> dict[str, str]:
    """Map each Chalice function name to its logical id in a template from ``chalice package``.

    Chalice names a function's resource by CamelCasing its name (``outbox_relay`` -> ``OutboxRelay``) and
    renames the REST API's function to ``APIHandler``. The project names functions in snake_case, so the
    name is the id split at capitals; a name that does not CamelCase back to its id is refused.
    """
    ids = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") not in _FUNCTION_TYPES:
            continue
        name = API_FUNCTION if logical_id == "APIHandler" else re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id).lower()
        if name != API_FUNCTION and _camel(name) != logical_id:
            raise ValueError(f"cannot tell the Chalice name of function resource {logical_id!r}")
        ids[name] = logical_id
    return ids


def _arn(service: str, resource: str) -> str:
    """A partition-, region- and account-agnostic ARN: policy files are plain JSON, without ``${AWS::Partition}``."""
    return f"arn:*:{service}:*:*:{resource}"


def render_policy(stage: str) -> Template:
    """The IAM policy every Lambda function of ``stage`` runs with (``.chalice/policy-<stage>.json``).

    Items of the stage's tables, queries of their indexes, the outbox stream (read by the relay's event source
    mapping), publishing to the topic, consuming the queues that feed handlers, sending to the queues the code
    feeds itself and to the relay's failure queue, reading and presigning uploads of member import files, texting
    phones (SNS SMS, with LOYALTY_SMS_SENDER=sns), the messaging channels (push devices' SNS platform endpoints,
    SES email, the SMS and WeChat provider credentials under ``loyalty/<stage>/`` in Secrets Manager),
    making and unwrapping members' data keys with the stage's KMS key, and writing its own logs. Nothing else:
    the cursor secret and lookup hash key reach the functions through CloudFormation dynamic references resolved
    at deploy time, and every other key in use is AWS managed (aws/dynamodb, aws/sns) or SQS-managed, whose key
    policies already admit the account.

    The KMS key's ARN is only known once the stack exists, so the statement names any key and admits only the
    one the stage's alias points to (``kms:ResourceAliases``, a multivalued key: ForAnyValue). The key policy
    lets IAM policies grant use; an alias change takes up to five minutes to reach authorization.
    """
    import chalicelib.declarations  # noqa: F401  declares every table before they are listed

    prefix = stack_prefix(stage)
    tables = registered_tables()
    table_arns = [_arn("dynamodb", f"table/{physical_name(prefix, cls.logical_name)}") for cls in tables]
    index_arns = [
        _arn("dynamodb", f"table/{physical_name(prefix, cls.logical_name)}/index/*")
        for cls in tables
        if cls._get_schema()["global_secondary_indexes"]
    ]
    streams = [
        _arn("dynamodb", f"table/{physical_name(prefix, cls.logical_name)}/stream/*") for cls in relayed_tables()
    ]

    def queue_arn(name: str) -> str:
        return f"arn:*:sqs:*:*:{name}"

    consumed = [queue_arn(physical_queue_name(prefix, spec.logical_name)) for spec in QUEUES]
    fed_by_code = [
        queue_arn(physical_queue_name(prefix, spec.logical_name)) for spec in QUEUES if not spec.subscribes_to_events
    ]
    log_group = f"/aws/lambda/{prefix}-*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [_arn("logs", f"log-group:{log_group}"), _arn("logs", f"log-group:{log_group}:log-stream:*")],
        },
        {
            "Sid": "ReadWriteTables",
            "Effect": "Allow",
            "Action": [
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:UpdateItem",
            ],
            "Resource": table_arns,
        },
        {"Sid": "QueryIndexes", "Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": index_arns},
        {
            "Sid": "ReadRelayedStreams",
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            "Resource": streams,
        },
        {
            "Sid": "PublishEvents",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": [f"arn:*:sns:*:*:{physical_topic_name(prefix)}"],
        },
        {
            "Sid": "SendSms",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": ["*"],  # a message to a phone number has no ARN to name
        },
        {
            "Sid": "PushDevices",  # app push: a device's SNS platform endpoint, made, read and forgotten by the API
            "Effect": "Allow",
            "Action": [
                "sns:CreatePlatformEndpoint",
                "sns:DeleteEndpoint",
                "sns:GetEndpointAttributes",
                "sns:SetEndpointAttributes",
            ],
            "Resource": ["arn:*:sns:*:*:app/*", "arn:*:sns:*:*:endpoint/*"],
        },
        {
            "Sid": "SendEmail",
            "Effect": "Allow",
            "Action": ["ses:SendEmail"],
            "Resource": ["arn:*:ses:*:*:identity/*", "arn:*:ses:*:*:configuration-set/*"],
        },
        {
            "Sid": "ReadProviderSecrets",  # SMS and WeChat credentials (LOYALTY_SMS_SECRET, LOYALTY_WECHAT_SECRET)
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [f"arn:*:secretsmanager:*:*:secret:loyalty/{stage}/*"],
        },
        {
            "Sid": "ConsumeQueues",
            "Effect": "Allow",
            # ChangeMessageVisibility and GetQueueUrl: a consumer that must retry later hides its message for a backoff
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
            ],
            "Resource": consumed,
        },
        {
            "Sid": "SendToQueues",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [*fed_by_code, queue_arn(dead_letter_name(prefix, RELAY_DLQ_LOGICAL_NAME))],
        },
        {
            "Sid": "MemberImportFiles",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],  # PutObject: the presigned uploads the API hands out
            "Resource": [f"arn:*:s3:::{prefix}-imports-*/members/*"],
        },
        {
            "Sid": "UploadsMissingAreNotFound",  # without it S3 answers a HEAD of a file never sent 403, not 404
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:*:s3:::{prefix}-imports-*"],
            "Condition": {"StringLike": {"s3:prefix": ["members/*", "coupon-batches/*", "media/*"]}},
        },
        {
            "Sid": "PictureUploads",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],  # PutObject: the presigned uploads the API hands out
            "Resource": [f"arn:*:s3:::{prefix}-imports-*/media/*"],
        },
        {
            "Sid": "PublishedPictures",
            "Effect": "Allow",
            # served by the distribution at /media/ (chalicelib.media); deleted when withdrawn while being published
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"arn:*:s3:::{prefix}-web-*/media/*"],
        },
        {
            "Sid": "ExportFiles",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],  # GetObject: the pre-signed downloads the API hands out
            "Resource": [
                f"arn:*:s3:::{prefix}-exports-*/bi/*",
                f"arn:*:s3:::{prefix}-exports-*/reports/*",
                f"arn:*:s3:::{prefix}-exports-*/gift-cards/*",
            ],  # a batch's numbers and PINs, for the printer
        },
        {
            "Sid": "MemberDataKeys",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [_arn("kms", "key/*")],
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": pii_key_alias(stage)}},
        },
    ]
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Resource"]]}


def policy_path(project_dir: Path, stage: str) -> Path:
    return project_dir / ".chalice" / f"policy-{stage}.json"


POLICY_STAGES = ("dev", "prod")


def policy_text(stage: str) -> str:
    """The committed form of a policy file: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(render_policy(stage), indent=2, sort_keys=True) + "\n"


def write_infra(project_dir: Path) -> list[Path]:
    """Write the generated, committed infra files (the stages' IAM policies); return their paths."""
    written = []
    for stage in POLICY_STAGES:
        path = policy_path(project_dir, stage)
        path.write_text(policy_text(stage), encoding="utf-8")
        written.append(path)
    return written


def _chalice(project_dir: Path, *args: str) -> None:
    """Run the Chalice CLI of this interpreter (the chalice package has no ``__main__``)."""
    env = {**PACKAGING_DEFAULTS, **os.environ, **PACKAGING_PLACEHOLDERS}
    for name in PACKAGING_DROPPED:
        env.pop(name, None)
    command = [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())", *args]
    with _packaging_lock(project_dir):
        result = subprocess.run(  # noqa: S603  this interpreter, fixed arguments
            command, cwd=project_dir, env=env, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise RuntimeError(f"chalice {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def _leaves(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(tree, dict) and tree:
        for key, value in tree.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path


def _overridden(generated: Template, merge: Template) -> list[str]:
    """Paths of ``merge`` that already hold a value in ``generated`` (which the merge would replace)."""
    clashes = []
    for path in _leaves(merge):
        node: Any = generated
        for key in path:
            if not isinstance(node, dict):
                clashes.append(".".join(path))
                break
            if key not in node:
                break
            node = node[key]
        else:
            clashes.append(".".join(path))
    return clashes


def check_merge(generated: Template, merge: Template, function_ids: dict[str, str]) -> None:
    """Refuse a merge that would replace a generated value, or a queue that hides messages for less than its
    handler may run (Lambda refuses such a mapping)."""
    clashes = _overridden(generated, merge)
    if clashes:
        raise ValueError(f"the merge template would replace generated values: {', '.join(clashes)}")
    for spec in QUEUES:
        timeout = generated["Resources"][function_ids[spec.handler]]["Properties"].get("Timeout", 3)
        if spec.visibility_timeout < timeout:
            raise ValueError(f"queue {spec.logical_name}: visibility {spec.visibility_timeout}s < {timeout}s timeout")


class PublicUrlMissing(ValueError):
    """A stage packaged without the address its member pages are served at."""


def stage_public_url(project_dir: Path, stage: str) -> str | None:
    """Where a stage's member pages are served (``LOYALTY_PUBLIC_URL``): the stage's own setting in
    ``.chalice/config.json``, else the one ``make package`` is run with, which the functions are then given (None:
    the stage sets it). An https address is required: unsubscribe links and the member pages' links in texts point
    there, and the default (the local server) would send members to 127.0.0.1 (an operator found a packaged stage
    doing so). The distribution's domain cannot be wired in by the template (the functions would depend on the
    distribution, which depends on the API and so on them), and in the China regions it is an ICP-filed domain."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    configured = config.get("stages", {}).get(stage, {}).get("environment_variables", {}).get("LOYALTY_PUBLIC_URL")
    url = configured or os.environ.get("LOYALTY_PUBLIC_URL")
    if not url or not url.startswith("https://") or "127.0.0.1" in url or "localhost" in url:
        raise PublicUrlMissing(
            f"Stage {stage!r} needs LOYALTY_PUBLIC_URL, the https address its member pages are served at (its "
            "ICP-filed domain in the China regions, or the ConsoleUrl output's domain after a first deploy): set it "
            f"in .chalice/config.json under stages.{stage}.environment_variables, or run "
            f"`LOYALTY_PUBLIC_URL=https://vip.example.cn make package STAGE={stage}`; not {url!r}"
        )
    return None if configured else url


def package(project_dir: Path, stage: str, out_dir: Path) -> Path:
    """Build the deployable template of ``stage`` in ``out_dir`` and return its path.

    Runs ``chalice package`` once, which writes Chalice's template and the deployment zip; renders the merge template
    for the function ids that template names into ``out_dir``, checks it adds keys only, and merges it in with
    Chalice's own merger (what ``--merge-template`` does as the last step of a second run, which would build the same
    zip again), written without indentation (half the size: CloudFormation takes a template of at most 1 MB, and
    the API's description alone is a quarter of one); then adds compiled bytecode to the deployment zip
    (``add_bytecode``). Offline
    once Chalice's dependency cache (``.chalice/deployments``) or a local wheel index holds requirements.txt; no AWS
    call is made. Chalice imports app.py, which validates settings: placeholders stand in for the values only the
    stack knows.
    """
    from chalice.package import TemplateDeepMerger

    public_url = stage_public_url(project_dir, stage)  # refused before the slow part
    out_dir.mkdir(parents=True, exist_ok=True)
    _chalice(project_dir, "package", "--stage", stage, "--pkg-format", "cloudformation", str(out_dir.resolve()))
    template = out_dir / TEMPLATE_NAME
    generated = json.loads(template.read_text(encoding="utf-8"))
    function_ids = function_ids_from_package(generated)
    merge = render_merge_template(stage, function_ids, public_url)
    check_merge(generated, merge, function_ids)
    (out_dir / MERGE_TEMPLATE_NAME).write_text(json.dumps(merge, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    merged = TemplateDeepMerger().merge(merge, generated)
    template.write_text(json.dumps(merged, separators=(",", ":")) + "\n", encoding="utf-8")  # CloudFormation: ≤ 1 MB
    add_bytecode(out_dir / DEPLOYMENT_ZIP, _runtime(merged))
    return template


def _runtime(template: Template) -> str:
    runtimes: set[str] = {
        resource["Properties"]["Runtime"]
        for resource in template["Resources"].values()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }
    if len(runtimes) != 1:
        raise ValueError(f"the functions should share one runtime, not {sorted(runtimes)}")
    return runtimes.pop()


def add_bytecode(deployment_zip: Path, runtime: str) -> int:
    """Put the compiled bytecode of every module next to its source in the zip; return how many were compiled.

    Chalice ships sources only, and Lambda's code directory is read-only, so without this every cold start
    compiles each module it imports (about three times the CPU of importing from bytecode). The bytecode is
    checked against its source's hash, not its time stamp (zips keep times to 2 s), so a source that changed
    is never run from stale bytecode. A module that does not compile for this Python stays source only.
    """
    ours = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != ours:
        raise ValueError(f"bytecode for {runtime} needs that Python; this is {ours}")
    with tempfile.TemporaryDirectory(prefix="bytecode-") as scratch:
        tree = Path(scratch) / "tree"
        with zipfile.ZipFile(deployment_zip) as archive:
            entries = [entry for entry in archive.infolist() if not entry.filename.endswith(".pyc")]
            archive.extractall(tree, members=entries)
        compiled = []
        for entry in entries:
            if not entry.filename.endswith(".py"):
                continue
            source = Path(entry.filename)
            cached = source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
            try:
                py_compile.compile(
                    str(tree / source), cfile=str(tree / cached), dfile=entry.filename, doraise=True,
                    invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
                )  # fmt: skip
            except py_compile.PyCompileError:
                continue
            compiled.append(cached.as_posix())
        rebuilt = Path(scratch) / DEPLOYMENT_ZIP
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in entries:
                archive.writestr(entry, (tree / entry.filename).read_bytes() if not entry.is_dir() else b"")
            for name in compiled:
                archive.write(tree / name, name)
        shutil.move(rebuilt, deployment_zip)
    return len(compiled)


@contextlib.contextmanager
def _packaging_lock(project_dir: Path) -> Iterator[None]:
    """One ``chalice package`` at a time per project: Chalice creates ``.chalice/deployments`` and writes its
    zip there in place, so a second run at the same moment fails on the directory or reuses a half-written zip."""
    deployments = project_dir / ".chalice" / "deployments"
    deployments.mkdir(parents=True, exist_ok=True)
    with (deployments / ".package.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
