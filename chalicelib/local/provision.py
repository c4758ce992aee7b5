"""Create the tables, topic, queues, subscriptions and the imports bucket on an emulator from the same definitions as
the infra."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from chalicelib.shared.db import physical_name, registered_tables, table_definition
from chalicelib.shared.topology import (
    QUEUES,
    dead_letter_name,
    filter_policy,
    local_bucket_name,
    physical_queue_name,
    physical_topic_name,
)


@dataclass(frozen=True)
class Provisioned:
    topic_arn: str
    queue_urls: dict[str, str]  # logical name -> URL
    stream_arns: dict[str, str]  # logical table name -> stream ARN
    imports_bucket: str


def provision(prefix: str, region: str, endpoint_url: str | None = None) -> Provisioned:
    import chalicelib.declarations  # noqa: F401  declares every table before they are listed

    """Create every resource that does not exist yet; safe to run again."""
    dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    existing = set(dynamodb.list_tables().get("TableNames", []))
    stream_arns = {}
    for cls in registered_tables():
        name = physical_name(prefix, cls.logical_name)
        if name not in existing:
            dynamodb.create_table(**table_definition(cls, name))
            if cls.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": cls.ttl_attribute}
                )
        if cls.stream:
            stream_arns[cls.logical_name] = dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]

    sns = boto3.client("sns", region_name=region, endpoint_url=endpoint_url)
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
    topic_arn = sns.create_topic(Name=physical_topic_name(prefix))["TopicArn"]
    subscribed = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])}
    queue_urls = {}
    for spec in QUEUES:
        dlq_url = sqs.create_queue(QueueName=dead_letter_name(prefix, spec.logical_name))["QueueUrl"]
        dlq_arn = _queue_arn(sqs, dlq_url)
        url = sqs.create_queue(
            QueueName=physical_queue_name(prefix, spec.logical_name),
            Attributes={
                "VisibilityTimeout": str(spec.visibility_timeout),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receives}),
            },
        )["QueueUrl"]
        queue_urls[spec.logical_name] = url
        queue_arn = _queue_arn(sqs, url)
        if spec.subscribes_to_events and queue_arn not in subscribed:
            attributes = {"RawMessageDelivery": "true"}
            policy = filter_policy(spec)
            if policy:
                attributes["FilterPolicy"] = json.dumps(policy)
            sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
    bucket = local_bucket_name(prefix)
    s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint_url)
    if bucket not in {found["Name"] for found in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    return Provisioned(topic_arn=topic_arn, queue_urls=queue_urls, stream_arns=stream_arns, imports_bucket=bucket)


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
