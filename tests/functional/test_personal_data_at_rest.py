"""No plaintext phone, email, birthday or address in any table, index, event or log line."""

import io
import json
import logging

import boto3

from chalicelib.platform.handlers import outbox_relay
from chalicelib.shared.db import physical_name, registered_tables
from chalicelib.shared.logs import logger
from tests.conftest import PREFIX, REGION, stream_records

SECRETS = ["+8613812345678", "13812345678", "8613812345678", "+8613900000000", "13900000000", "zhang.san@example.com",
           "Zhang.San", "1990-05-01", "南京西路1号", "+8618600000000", "18600000000", "li@example.com",
           "欧阳小明", "2016-03-09"]  # fmt: skip


def raw_dump() -> str:
    client = boto3.client("dynamodb", region_name=REGION)
    items = []
    for cls in registered_tables():
        for page in client.get_paginator("scan").paginate(TableName=physical_name(PREFIX, cls.logical_name)):
            items += page["Items"]
        for index in client.describe_table(TableName=physical_name(PREFIX, cls.logical_name))["Table"].get(
            "GlobalSecondaryIndexes", []
        ):
            for page in client.get_paginator("scan").paginate(
                TableName=physical_name(PREFIX, cls.logical_name), IndexName=index["IndexName"]
            ):
                items += page["Items"]
    return json.dumps(items, ensure_ascii=False)


def test_nothing_personal_is_stored_published_or_logged_in_the_clear(api, aws):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    previous = logger.log_level
    logger.setLevel("DEBUG")
    try:
        body = {"name": "张三", "phone": "138 1234 5678", "email": "Zhang.San@example.com", "birthday": "1990-05-01",
                "addresses": [{"city": "上海", "detail": "南京西路1号"}],
                "students": [{"name": "欧阳小明", "birthday": "2016-03-09", "guardian_consent": True}]}  # fmt: skip
        member = api.post("/v1/members", body, headers={"idempotency-key": "pii-test-0001"}).body
        api.post("/v1/members", body, headers={"idempotency-key": "pii-test-0001"})  # a replay
        api.post("/v1/members", body)  # refused: the phone is taken
        api.patch(f"/v1/members/{member['member_id']}", {"phone": "13900000000"},
                  headers={"content-type": "application/merge-patch+json", "if-match": '"1"'})  # fmt: skip
        api.post("/v1/members/lookup", {"phone": "13900000000"})
        other = api.post("/v1/members", {"name": "李四", "phone": "18600000000", "email": "li@example.com"}).body
        api.call("DELETE", f"/v1/members/{other['member_id']}")
        api.post("/v1/members", {"name": "x", "phone": "12345", "email": "li@example.com"})  # a 422 echoes nothing
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    outbox_relay({"Records": stream_records()}, None)
    sqs = boto3.client("sqs", region_name=REGION)
    published = sqs.receive_message(QueueUrl=aws.queue_urls["statistics"], MaxNumberOfMessages=10)["Messages"]
    assert len(published) >= 4

    places = {"tables and indexes": raw_dump(), "events": json.dumps(published, ensure_ascii=False),
              "logs": stream.getvalue()}  # fmt: skip
    assert "mb_" in places["tables and indexes"]
    assert "member.registered" in places["events"]
    for place, text in places.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} found in {place}"
