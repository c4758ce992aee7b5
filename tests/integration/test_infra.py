"""The CloudFormation package: what `make package` builds is valid, complete and matches the committed policies."""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file
from cfnlint.config import ManualArgs

from chalicelib.shared.db import physical_name, registered_tables
from chalicelib.shared.http import ORIGIN_VERIFY_HEADER
from chalicelib.shared.topology import QUEUES, dead_letter_name, physical_queue_name
from infra.resources import (
    ALL_VIEWER_EXCEPT_HOST_HEADER,
    PII_KEY_ID,
    POLICY_STAGES,
    PublicUrlMissing,
    function_ids_from_package,
    package,
    pii_key_alias,
    policy_path,
    policy_text,
    render_policy,
    stack_prefix,
    stage_public_url,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
STAGE = "dev"
# China regions first: the platform's home; us-east-1 as the reference region of the resource specs.
LINT_REGIONS = ["cn-north-1", "cn-northwest-1", "us-east-1"]


PUBLIC_URL = "https://vip.example.cn"


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOYALTY_PUBLIC_URL", PUBLIC_URL)  # as `LOYALTY_PUBLIC_URL=… make package` gives it
        yield package(PROJECT_DIR, STAGE, tmp_path_factory.mktemp("package"))


@pytest.mark.parametrize("given", [None, "http://127.0.0.1:8000", "http://vip.example.cn", "https://localhost"])
def test_a_stage_is_not_packaged_without_the_https_address_of_its_member_pages(given, monkeypatch) -> None:
    """Found by an operator: a packaged stage sent its unsubscribe links to http://127.0.0.1:8000, the default."""
    monkeypatch.delenv("LOYALTY_PUBLIC_URL", raising=False)
    if given:
        monkeypatch.setenv("LOYALTY_PUBLIC_URL", given)
    with pytest.raises(PublicUrlMissing, match="LOYALTY_PUBLIC_URL"):
        stage_public_url(PROJECT_DIR, STAGE)
    monkeypatch.setenv("LOYALTY_PUBLIC_URL", PUBLIC_URL)
    assert stage_public_url(PROJECT_DIR, STAGE) == PUBLIC_URL  # given to the functions by the template


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_every_function_is_given_the_member_pages_address(resources: dict[str, Any]) -> None:
    functions = _of_type(resources, "AWS::Serverless::Function")
    assert functions
    assert {f["Environment"]["Variables"].get("LOYALTY_PUBLIC_URL") for f in functions.values()} == {PUBLIC_URL}


@pytest.fixture(scope="module")
def resources(packaged: Path) -> dict[str, Any]:
    template = json.loads(packaged.read_text(encoding="utf-8"))
    found: dict[str, Any] = template["Resources"]
    return found


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {logical_id: r["Properties"] for logical_id, r in resources.items() if r["Type"] == kind}


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_packaged_template_passes_cfn_lint(packaged: Path) -> None:
    matches = lint_file(packaged, config=ManualArgs(regions=LINT_REGIONS))
    assert not matches, "cfn-lint findings:\n" + "\n".join(str(match) for match in matches)


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_the_template_leaves_room_for_the_routes_to_come(packaged: Path) -> None:
    """CloudFormation takes a template of at most 1 MB; indented, this one passed it (1,012,574 bytes in December
    2026, the API's description a quarter of it compact). Written compact, it must keep a third of the limit free."""
    size = packaged.stat().st_size
    assert size <= 1_000_000 * 2 // 3, f"the template is {size} bytes: make room before CloudFormation refuses it"


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_every_module_ships_compiled_and_checked_against_its_source(packaged: Path) -> None:
    with zipfile.ZipFile(packaged.parent / "deployment.zip") as archive:
        sources = [name for name in archive.namelist() if name.endswith(".py")]
        assert "app.py" in sources
        for source in sources:
            folder, _, file = source.rpartition("/")
            cached = f"{folder}/__pycache__/" if folder else "__pycache__/"
            header = archive.read(f"{cached}{file[:-3]}.{sys.implementation.cache_tag}.pyc")[:16]
            assert header[:4] == importlib.util.MAGIC_NUMBER, source
            assert int.from_bytes(header[4:8], "little") == 0b11, source  # hash-based, checked against the source
            assert header[8:] == importlib.util.source_hash(archive.read(source)), source


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_every_table_and_queue_is_declared_under_the_stage_names(resources: dict[str, Any]) -> None:
    prefix = stack_prefix(STAGE)
    tables = {p["TableName"]: p for p in _of_type(resources, "AWS::DynamoDB::Table").values()}
    queues = {p["QueueName"] for p in _of_type(resources, "AWS::SQS::Queue").values()}
    for cls in registered_tables():
        table = tables[physical_name(prefix, cls.logical_name)]
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table.get("TimeToLiveSpecification", {}).get("AttributeName") == cls.ttl_attribute
    for spec in QUEUES:
        assert physical_queue_name(prefix, spec.logical_name) in queues
        assert dead_letter_name(prefix, spec.logical_name) in queues


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_every_queue_feeds_its_handler_with_partial_batch_failures(resources: dict[str, Any]) -> None:
    function_ids = function_ids_from_package({"Resources": resources})
    queue_ids = {p["QueueName"]: logical_id for logical_id, p in _of_type(resources, "AWS::SQS::Queue").items()}
    mappings = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    fed = {
        (m["EventSourceArn"]["Fn::GetAtt"][0], m["FunctionName"]["Ref"])
        for m in mappings
        if m.get("FunctionResponseTypes") == ["ReportBatchItemFailures"]
    }
    for spec in QUEUES:
        queue = queue_ids[physical_queue_name(stack_prefix(STAGE), spec.logical_name)]
        assert (queue, function_ids[spec.handler]) in fed, f"{spec.logical_name} does not feed {spec.handler}"


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_the_relay_reads_the_outbox_and_the_ledger_accounts_before_any_function_carries_events(
    resources: dict[str, Any],
) -> None:
    """Both streams feed the relay; every other function waits for both mappings, so a deploy enables the accounts'
    stream and its relay before code that carries events there runs, and a rollback removes that code first."""
    function_ids = function_ids_from_package({"Resources": resources})
    relay = function_ids["outbox_relay"]
    mappings = {logical_id: m for logical_id, m in _of_type(resources, "AWS::Lambda::EventSourceMapping").items()
                if m["FunctionName"]["Ref"] == relay}  # fmt: skip
    tables = {m["EventSourceArn"]["Fn::GetAtt"][0] for m in mappings.values()}
    assert tables == {"OutboxTable", "LedgerAccountsTable"}
    assert resources["LedgerAccountsTable"]["Properties"]["StreamSpecification"] == {
        "StreamViewType": "NEW_AND_OLD_IMAGES"
    }
    for name, logical_id in function_ids.items():
        if name != "outbox_relay":
            assert set(resources[logical_id].get("DependsOn", [])) >= set(mappings), name


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_every_function_learns_the_topic_jobs_queue_and_key_from_the_stack(resources: dict[str, Any]) -> None:
    functions = _of_type(resources, "AWS::Serverless::Function")
    assert {"OutboxRelay", "StatisticsEvents", "JobBatches", "APIHandler"} <= set(functions)
    for logical_id, properties in functions.items():
        variables = properties["Environment"]["Variables"]
        assert "Ref" in variables["LOYALTY_EVENTS_TOPIC_ARN"], logical_id
        assert "Ref" in variables["LOYALTY_JOBS_QUEUE_URL"], logical_id
        assert variables["LOYALTY_KMS_KEY_ID"] == {"Fn::GetAtt": [PII_KEY_ID, "Arn"]}, logical_id
        assert "LOYALTY_LOCAL_KEY_FILE" not in variables, logical_id
        assert variables["LOYALTY_TABLE_PREFIX"] == stack_prefix(STAGE), logical_id
        for name, key in (
            ("LOYALTY_CURSOR_SECRET", "cursor_secret"),
            ("LOYALTY_LOOKUP_HASH_KEY", "lookup_hash_key"),
            ("LOYALTY_JWT_SECRET", "jwt_secret"),
            ("LOYALTY_ORIGIN_VERIFY_SECRET", "origin_verify_secret"),
        ):
            expected = f"{{{{resolve:secretsmanager:loyalty/{STAGE}:SecretString:{key}}}}}"
            assert variables[name] == expected, (logical_id, name)


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_the_distribution_proves_itself_to_the_api_with_the_secret_the_api_holds(resources: dict[str, Any]) -> None:
    """The API believes CloudFront-Viewer-Address only beside the origin secret: the distribution must send it, with
    the very value the API function is given, and forward the viewer's address."""
    (distribution,) = _of_type(resources, "AWS::CloudFront::Distribution").values()
    config = distribution["DistributionConfig"]
    (api_origin,) = [origin for origin in config["Origins"] if origin["Id"] == "api"]
    secret = f"{{{{resolve:secretsmanager:loyalty/{STAGE}:SecretString:origin_verify_secret}}}}"
    assert api_origin["OriginCustomHeaders"] == [{"HeaderName": ORIGIN_VERIFY_HEADER, "HeaderValue": secret}]
    api_function = _of_type(resources, "AWS::Serverless::Function")["APIHandler"]
    assert api_function["Environment"]["Variables"]["LOYALTY_ORIGIN_VERIFY_SECRET"] == secret
    (to_api,) = [behaviour for behaviour in config["CacheBehaviors"] if behaviour["TargetOriginId"] == "api"]
    assert to_api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER  # forwards CloudFront-Viewer-Address


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_the_stage_has_a_rotated_kept_pii_key_under_its_alias(resources: dict[str, Any]) -> None:
    key = resources[PII_KEY_ID]
    assert key["Type"] == "AWS::KMS::Key"
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = key["Properties"]
    assert properties["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert properties["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert properties["EnableKeyRotation"] is True
    assert properties["PendingWindowInDays"] == 30
    root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    assert any(
        s["Effect"] == "Allow" and s["Principal"] == {"AWS": root} and s["Action"] == "kms:*"
        for s in properties["KeyPolicy"]["Statement"]
    ), "the account must administer the key (and IAM policies grant its use)"
    aliases = _of_type(resources, "AWS::KMS::Alias").values()
    assert [a["TargetKeyId"] for a in aliases if a["AliasName"] == pii_key_alias(STAGE)] == [{"Ref": PII_KEY_ID}]


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_every_role_may_use_the_pii_key_through_its_alias(resources: dict[str, Any]) -> None:
    roles = _of_type(resources, "AWS::IAM::Role")
    assert roles
    by_alias = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": pii_key_alias(STAGE)}}
    for logical_id, properties in roles.items():
        statements = [s for p in properties["Policies"] for s in p["PolicyDocument"]["Statement"]]
        assert any(
            {"kms:GenerateDataKey", "kms:Decrypt"} <= set(s["Action"]) and s.get("Condition") == by_alias
            for s in statements
        ), logical_id


@pytest.mark.parametrize("stage", POLICY_STAGES)
def test_policy_grants_the_data_keys_only_for_the_stage_alias(stage: str) -> None:
    kms = [s for s in render_policy(stage)["Statement"] if any(a.startswith("kms:") for a in s["Action"])]
    assert len(kms) == 1
    assert sorted(kms[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms[0]["Resource"] == ["arn:*:kms:*:*:key/*"]
    # kms:ResourceAliases is multivalued (every alias of the key), so it takes a set operator: any alias matches
    assert kms[0]["Condition"] == {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/loyalty-{stage}-pii"}}


@pytest.mark.parametrize("stage", POLICY_STAGES)
def test_policy_lets_every_index_be_queried(stage: str) -> None:
    queryable = [
        resource
        for s in render_policy(stage)["Statement"]
        if "dynamodb:Query" in s["Action"]
        for resource in s["Resource"]
    ]
    for cls in registered_tables():
        for index in cls._get_schema()["global_secondary_indexes"]:
            table = physical_name(stack_prefix(stage), cls.logical_name)
            arn = f"arn:aws-cn:dynamodb:cn-north-1:123456789012:table/{table}/index/{index['index_name']}"
            assert any(fnmatchcase(arn, pattern) for pattern in queryable), arn


@pytest.mark.parametrize("stage", POLICY_STAGES)
def test_pictures_are_written_only_under_the_web_bucket_s_media_and_uploads_read_where_they_are_sent(
    stage: str,
) -> None:
    """The functions check an upload (a missing one is a 404 to them only with ListBucket) and write the picture
    under the web bucket's media/, which the distribution serves; nothing else of the web bucket."""
    statements = render_policy(stage)["Statement"]
    web = [(s["Action"], s["Resource"]) for s in statements if any("-web-" in r for r in s["Resource"])]
    assert web == [(["s3:PutObject", "s3:DeleteObject"], [f"arn:*:s3:::loyalty-{stage}-web-*/media/*"])]
    (listing,) = [s for s in statements if s["Action"] == ["s3:ListBucket"]]
    assert "media/*" in listing["Condition"]["StringLike"]["s3:prefix"]
    uploads = [s for s in statements if f"arn:*:s3:::loyalty-{stage}-imports-*/media/*" in s["Resource"]]
    assert [s["Action"] for s in uploads] == [["s3:GetObject", "s3:PutObject"]]


@pytest.mark.parametrize("stage", POLICY_STAGES)
def test_committed_policy_matches_the_definitions(stage: str) -> None:
    path = policy_path(PROJECT_DIR, stage)
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    assert committed == policy_text(stage), f"{path.name} is out of date: run `python -m chalicelib.cli infra render`"


def test_the_non_http_functions_bind_their_stages_tables_without_app_py():
    """Lambda runs the relay, the consumers and the jobs from ``chalicelib.platform.handlers`` itself, never
    importing ``app.py``: that module must bind the tables to its stage on its own."""
    import os
    import subprocess

    env = {**os.environ, "LOYALTY_TABLE_PREFIX": "loyalty-dev"}
    probe = ("from chalicelib.platform import handlers\n"
             "handlers.job_batches({'Records': []}, None)\n"
             "from chalicelib.shared.jobs import JobRecord\n"
             "from chalicelib.ledger.records import LedgerAccountRecord\n"
             "print(JobRecord.Meta.table_name, LedgerAccountRecord.Meta.table_name)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["loyalty-dev-jobs", "loyalty-dev-ledger-accounts"]


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_import_files_land_in_a_private_expiring_bucket_and_chunks_reach_their_workers_one_at_a_time(
    resources: dict[str, Any],
) -> None:
    from chalicelib.shared.topology import UPLOADS_KEPT_DAYS, queue_spec
    from infra.resources import IMPORTS_BUCKET_ID, imports_bucket_name

    bucket = resources[IMPORTS_BUCKET_ID]["Properties"]
    assert bucket["BucketName"] == imports_bucket_name(STAGE)
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert {"Id": "UploadsExpire", "Status": "Enabled", "ExpirationInDays": UPLOADS_KEPT_DAYS} in (
        bucket["LifecycleConfiguration"]["Rules"])  # fmt: skip
    queue_ids = {p["QueueName"]: logical_id for logical_id, p in _of_type(resources, "AWS::SQS::Queue").items()}
    imports_queue = queue_ids[physical_queue_name(stack_prefix(STAGE), "imports")]
    [mapping] = [m for m in _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
                 if m["EventSourceArn"]["Fn::GetAtt"][0] == imports_queue]  # fmt: skip
    assert mapping["BatchSize"] == 1
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": queue_spec("imports").concurrency}
    functions = _of_type(resources, "AWS::Serverless::Function")
    assert functions["MemberImports"]["Timeout"] == 300
    for logical_id, properties in functions.items():
        variables = properties["Environment"]["Variables"]
        assert variables["LOYALTY_IMPORTS_BUCKET"] == {"Ref": IMPORTS_BUCKET_ID}, logical_id
        assert variables["LOYALTY_IMPORTS_QUEUE_URL"] == {"Ref": imports_queue}, logical_id


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_bi_files_land_in_a_private_bucket_athena_reads_by_day_and_report_files_expire(
    resources: dict[str, Any],
) -> None:
    from chalicelib.exports.rules import entities
    from chalicelib.exports.service import columns_of
    from infra.resources import EXPORTS_BUCKET_ID, REPORT_FILES_KEPT_DAYS, exports_bucket_name

    bucket = resources[EXPORTS_BUCKET_ID]["Properties"]
    assert bucket["BucketName"] == exports_bucket_name(STAGE)
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    rules = {rule["Prefix"]: rule["ExpirationInDays"] for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules == {"reports/": REPORT_FILES_KEPT_DAYS, "gift-cards/": 30}  # BI files are kept
    tables = {t["TableInput"]["Name"]: t["TableInput"] for t in _of_type(resources, "AWS::Glue::Table").values()}
    assert set(tables) == set(entities())
    for entity, table in tables.items():
        assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == list(columns_of(entity))
        assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
        assert table["Parameters"]["skip.header.line.count"] == "1"  # the header (and the BOM before it)
        assert table["StorageDescriptor"]["Location"] == {"Fn::Sub": f"s3://${{{EXPORTS_BUCKET_ID}}}/bi/{entity}/"}
    for logical_id, properties in _of_type(resources, "AWS::Serverless::Function").items():
        exports = properties["Environment"]["Variables"]["LOYALTY_EXPORTS"]
        assert exports == {"Fn::Sub": f"s3://${{{EXPORTS_BUCKET_ID}}}"}, logical_id


@pytest.mark.package
@pytest.mark.xdist_group("infra-package")
def test_one_distribution_serves_both_apps_from_a_private_bucket_and_the_api_uncached(
    resources: dict[str, Any],
) -> None:
    (config,) = [d["DistributionConfig"] for d in _of_type(resources, "AWS::CloudFront::Distribution").values()]
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "web"
    assert "OriginAccessIdentity" in origins["web"]["S3OriginConfig"]
    (api,) = config["CacheBehaviors"]
    assert (api["PathPattern"], api["TargetOriginId"], origins["api"]["OriginPath"]) == ("/v1/*", "api", "/api")
    assert "POST" in api["AllowedMethods"]
    (bucket,) = [b for b in _of_type(resources, "AWS::S3::Bucket").values() if "-web-" in json.dumps(b["BucketName"])]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    for logical_id, properties in _of_type(resources, "AWS::Serverless::Function").items():  # pictures: /media/*
        assert properties["Environment"]["Variables"]["LOYALTY_MEDIA"] == {"Fn::Sub": "s3://${WebBucket}"}, logical_id


def test_publishing_the_apps_writes_assets_first_and_each_index_under_its_folder_too(tmp_path: Path) -> None:
    import boto3
    from moto import mock_aws

    from chalicelib.local.sites import IMMUTABLE, NO_CACHE
    from infra.web import publish_web

    for site in ("console", "m"):
        (tmp_path / site / "assets").mkdir(parents=True)
        (tmp_path / site / "index.html").write_text(f"<title>{site}</title>")
        (tmp_path / site / "assets" / "index-abc123.js").write_text("export {}")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="web")
        keys = publish_web(s3, "web", tmp_path)
        assert keys[:4] == ["console/assets/index-abc123.js", "console/index.html", "console/", "console"]
        served = s3.get_object(Bucket="web", Key="m/")
        assert (served["Body"].read(), served["ContentType"], served["CacheControl"]) == (
            b"<title>m</title>", "text/html; charset=utf-8", NO_CACHE)  # fmt: skip
        asset = s3.head_object(Bucket="web", Key="console/assets/index-abc123.js")
        assert (asset["ContentType"], asset["CacheControl"]) == ("text/javascript; charset=utf-8", IMMUTABLE)


def test_the_functions_may_write_and_read_every_exports_folder_the_app_writes_and_its_files_expire():
    """A review: the gift cards' file of numbers and PINs went to `gift-cards/`, which the policy did not allow (a
    batch would fail on AWS after writing its cards) and no rule expired (PINs kept for ever). Every folder the app
    writes in the exports bucket is allowed, and those of files made on request expire."""
    from infra.resources import _exports_resources, render_policy

    written = {"bi/", "reports/", "gift-cards/"}  # chalicelib.exports (BI, reports) and chalicelib.giftcards
    (allowed,) = [s for s in render_policy("dev")["Statement"] if s.get("Sid") == "ExportFiles"]
    for folder in written:
        key = f"arn:aws:s3:::loyalty-dev-exports-123/{folder}x.csv"
        assert any(fnmatchcase(key, pattern.replace("arn:*", "arn:aws")) for pattern in allowed["Resource"]), folder
    (bucket,) = [r for r in _exports_resources("dev").values() if r["Type"] == "AWS::S3::Bucket"]
    expiring = {rule["Prefix"] for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert expiring == {"reports/", "gift-cards/"}  # BI files stay: Athena reads every day
