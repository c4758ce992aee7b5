"""The process's AWS clients read botocore's data the short way (``chalicelib.shared.aws``) and read what botocore
reads: the same services known, the same models and endpoints, the same refusals; and a second session or client
reads no file again."""

import itertools
import json
import os

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import JSONFileLoader, Loader
from botocore.session import Session

from chalicelib.shared import aws

TYPES = ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2")


@pytest.mark.parametrize("type_name", TYPES)
def test_a_service_is_known_exactly_when_botocore_lists_it(type_name):
    botocores = Loader().list_available_services(type_name)
    ours = aws._loader(None).list_available_services(type_name)
    every = {directory for path in Loader().search_paths for directory in _directories(path)}
    assert len(botocores) > 100
    if type_name == "paginators-1":
        assert every - set(botocores), "some services have no paginators: the check tells them apart"
    assert {name for name in every if name in ours} == set(botocores)
    assert list(ours) == botocores
    assert len(ours) == len(botocores)
    assert ours[0] == botocores[0]


@pytest.mark.parametrize("name", ["", ".", "..", "nope", "dynamodb/2012-08-10", "../data/dynamodb", 5, None])
def test_what_is_no_service_is_not_known(name):
    assert name not in aws._loader(None).list_available_services("service-2")


def test_files_are_read_as_botocore_reads_them_in_the_same_order():
    for path in ("endpoints", "dynamodb/2012-08-10/service-2", "dynamodb/2012-08-10/endpoint-rule-set-1"):
        full = f"{Loader.BUILTIN_DATA_PATH}/{path}"
        ours, botocores = aws._PlainJSONFiles().load_file(full), JSONFileLoader().load_file(full)
        assert type(ours) is dict
        assert ours == botocores
        assert json.dumps(ours) == json.dumps(botocores)  # key order too
    assert aws._PlainJSONFiles().load_file(f"{Loader.BUILTIN_DATA_PATH}/nothing-here") is None


def test_a_client_is_made_as_botocores_own(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    our_session, botocores_session = aws.session(), Session()
    for service, region in itertools.product(("dynamodb", "sns", "sqs", "kms", "s3"), ("cn-north-1", "us-east-1")):
        ours = our_session.create_client(service, region)
        botocores = botocores_session.create_client(service, region)
        assert ours.meta.endpoint_url == botocores.meta.endpoint_url
        assert ours.meta.service_model.operation_names == botocores.meta.service_model.operation_names
        assert ours.meta.partition == botocores.meta.partition
    with pytest.raises(UnknownServiceError):
        our_session.create_client("no-such-service", "cn-north-1")


def test_a_second_session_and_client_read_no_file(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    aws.session().create_client("dynamodb", "cn-north-1")
    aws.client("sqs", "cn-north-1")
    read = []
    made = aws._PlainJSONFiles._load_file
    monkeypatch.setattr(aws._PlainJSONFiles, "_load_file", lambda self, *args: read.append(args) or made(self, *args))
    aws.session().create_client("dynamodb", "cn-north-1")
    aws.client("sqs", "cn-north-1")
    assert read == []
    aws.client("acm-pca", "cn-north-1")  # a service no other test makes a client of
    assert read, "a service read for the first time is read from its files"


def _directories(path):
    import os

    return [name for name in os.listdir(path) if os.path.isdir(os.path.join(path, name))] if os.path.isdir(path) else []


def test_a_data_path_is_searched_first_as_botocore_searches_it(tmp_path, monkeypatch):
    """Found by a review: botocore searches ``AWS_DATA_PATH`` (or the config file's ``data_path``) before its own data;
    the shared loader did not, so a model placed there was unknown."""
    model = tmp_path / "mydb" / "2024-01-01"
    model.mkdir(parents=True)
    source = f"{Loader.BUILTIN_DATA_PATH}/sdb/2009-04-15/service-2.json"
    shape = JSONFileLoader().load_file(source.removesuffix(".json"))
    shape["metadata"] = {**shape["metadata"], "endpointPrefix": "mydb", "serviceId": "MyDB", "signingName": "mydb"}
    (model / "service-2.json").write_text(json.dumps(shape))
    monkeypatch.setenv("AWS_DATA_PATH", f"{tmp_path}{os.pathsep}/nowhere")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    made = aws.session()
    assert made.get_component("data_loader").search_paths[:2] == [str(tmp_path), "/nowhere"]
    assert "mydb" in made.get_component("data_loader").list_available_services("service-2")
    assert made.create_client(
        "mydb", "us-east-1", endpoint_url="http://127.0.0.1:1"
    ).meta.service_model.service_name == ("mydb")
    assert Session().get_component("data_loader").search_paths[:2] == [str(tmp_path), "/nowhere"]  # as botocore's
