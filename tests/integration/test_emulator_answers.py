"""The emulator parses an item action's request and dumps its answer as they are (``emulator.speed_up_moto``): every
request it reads that way, and every answer it gives, is what moto's model walk gives, for every item action and
every shape of request and answer our code uses."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.parse import RequestParser
from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler

from chalicelib.local.emulator import speed_up_moto

ITEM = {
    "pk": {"S": "a"},
    "sk": {"N": "1"},
    "amount": {"N": "-12.5"},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "tags": {"SS": ["x", "y"]},
    "lines": {"L": [{"M": {"sku": {"S": "s1"}, "qty": {"N": "2"}}}, {"S": "会员"}]},
}
KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}


@pytest.fixture
def installed():
    speed_up_moto()


@pytest.fixture
def answers(installed, monkeypatch):
    """Each answer the direct way gave, beside the one moto's own serializer gives for the same result, and whether
    the direct way walked the model after all."""
    direct = DynamoHandler.serialized
    assert direct.direct, "the emulator's direct dump is installed"
    seen, walks = [], []
    execute = ActionResult.execute_result
    monkeypatch.setattr(
        ActionResult, "execute_result", lambda result, context: walks.append(1) or execute(result, context)
    )

    def both(self, action_result):
        modelled = direct.modelled(self, action_result)
        walked = len(walks)
        ours = direct(self, action_result)
        seen.append((self._get_action(), ours, modelled, len(walks) > walked))
        return ours

    monkeypatch.setattr(DynamoHandler, "serialized", both)
    return seen


@pytest.fixture
def requests(installed, monkeypatch):
    """Each request's parameters as the direct way read them, beside moto's own parse of the same request."""
    direct = DynamoHandler.parse_parameters
    assert direct.direct, "the emulator's direct parse is installed"
    seen = []

    def both(self, request):
        direct.modelled(self, request)
        modelled, parses = self.params, len(walks)
        direct(self, request)
        seen.append((self._get_action(), self.params, modelled, len(walks) > parses))

    walks = []
    parse = RequestParser.parse
    monkeypatch.setattr(RequestParser, "parse", lambda parser, request: walks.append(1) or parse(parser, request))

    monkeypatch.setattr(DynamoHandler, "parse_parameters", both)
    return seen


def test_every_item_action_answers_as_moto_models_it(answers, requests):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="cn-north-1")
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
        types = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
        client.create_table(TableName="t", KeySchema=keys, AttributeDefinitions=types, BillingMode="PAY_PER_REQUEST")
        client.put_item(TableName="t", Item=ITEM, ReturnConsumedCapacity="TOTAL")
        client.put_item(TableName="t", Item={**ITEM, "sk": {"N": "2"}}, ReturnValues="ALL_OLD")
        client.put_item(TableName="t", Item={**ITEM, "sk": {"N": "2"}, "flag": {"BOOL": False}}, ReturnValues="ALL_OLD")
        client.get_item(TableName="t", Key=KEY, ConsistentRead=True)
        client.get_item(TableName="t", Key={**KEY, "sk": {"N": "9"}})  # no item
        client.update_item(
            TableName="t", Key=KEY, UpdateExpression="SET amount = amount + :n",
            ExpressionAttributeValues={":n": {"N": "2"}}, ReturnValues="UPDATED_NEW",
        )  # fmt: skip
        client.query(
            TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}, Limit=1,
            ReturnConsumedCapacity="INDEXES",
        )  # fmt: skip
        client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
        client.scan(TableName="t", Select="COUNT")
        client.batch_get_item(RequestItems={"t": {"Keys": [KEY, {**KEY, "sk": {"N": "2"}}]}})
        client.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": {**ITEM, "sk": {"N": "3"}}}}]})
        client.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": KEY}}])
        client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {**ITEM, "sk": {"N": "4"}}}}])
        with pytest.raises(ClientError) as refused:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": ITEM, "ConditionExpression": "attribute_not_exists(pk)"}}
                ]
            )
        assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
        client.delete_item(TableName="t", Key=KEY, ReturnValues="ALL_OLD")
    item_actions = {"PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem"} | {
        "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
    }  # fmt: skip
    assert {action for action, _, _, walked in requests if not walked} == item_actions  # each read directly
    for action, parsed, modelled, _ in requests:
        assert parsed == modelled, action
    assert {action for action, _, _, walked in answers if not walked} == item_actions  # each dumped directly
    for action, (status, headers, body), (modelled_status, modelled_headers, modelled_body), _ in answers:
        assert (status, exactly(body)) == (modelled_status, exactly(modelled_body)), action
        assert headers["Content-Type"] == modelled_headers["Content-Type"], action


def exactly(body):
    """A JSON body as text of one form (keys sorted), which tells 2 from 2.0."""
    return json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False)


def test_an_update_expression_parsed_once_updates_each_item_with_its_own_values(installed):
    """The emulator keeps the tree of each update expression it parsed: moto fills a copy of it with each request's
    values and the item's, so no update sees another's, whether the item is new or held, alone or in a transaction."""
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    expression = "SET #n = if_not_exists(#n, :zero) + :n, tags = list_append(if_not_exists(tags, :none), :t) ADD c :one"
    with mock_aws():
        client = boto3.client("dynamodb", region_name="cn-north-1")
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        client.create_table(TableName="u", KeySchema=keys, AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")  # fmt: skip
        parsed_before = UpdateExpressionParser.make.cache_info().misses

        def update(pk, n, tag, transaction=False):
            request = {"TableName": "u", "Key": {"pk": {"S": pk}}, "UpdateExpression": expression,
                       "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {
                           ":n": {"N": str(n)}, ":zero": {"N": "0"}, ":one": {"N": "1"}, ":none": {"L": []},
                           ":t": {"L": [{"S": tag}]}}}  # fmt: skip
            if transaction:
                client.transact_write_items(TransactItems=[{"Update": request}])
            else:
                client.update_item(**request)

        update("a", 5, "x")
        update("b", 7, "y", transaction=True)
        update("a", 1, "z", transaction=True)
        update("b", 2, "w")
        items = {i["pk"]["S"]: i for i in client.scan(TableName="u")["Items"]}
    assert UpdateExpressionParser.make.cache_info().misses - parsed_before <= 1  # parsed once for all four
    assert {pk: (i["n"]["N"], [t["S"] for t in i["tags"]["L"]], i["c"]["N"]) for pk, i in items.items()} == {
        "a": ("6", ["x", "z"], "2"), "b": ("9", ["y", "w"], "2")}  # fmt: skip


def same_tree(ours, moto, within_ours=None):
    """Whether two update trees are alike node by node (types, fields, children) and each node's parent is its parent
    in its own tree."""
    if type(ours) is not type(moto):
        return False
    if not hasattr(ours, "__dict__"):
        if isinstance(ours, list | tuple):
            return len(ours) == len(moto) and all(same_tree(a, b, within_ours) for a, b in zip(ours, moto, strict=True))
        return ours == moto
    fields, theirs = vars(ours), vars(moto)
    if fields.keys() != theirs.keys() or fields.get("parent") is not within_ours:
        return False
    return all(same_tree(fields[k], theirs[k], ours if k == "children" else None) for k in fields if k != "parent")


@pytest.mark.parametrize("expression", [
    "SET #n = if_not_exists(#n, :zero) + :n, tags = list_append(if_not_exists(tags, :none), :t) ADD c :one",
    "SET a.b[1].c = :v, #m.#k = :w REMOVE x, y[2] DELETE s :gone",
])  # fmt: skip
def test_the_copy_of_an_update_tree_that_moto_fills_is_the_tree_deepcopy_makes(installed, expression):
    """moto copies an update's parsed tree before filling it in; the emulator copies it by pickle (faster): the same
    nodes, each with its parent in the copy, and nothing shared with the kept tree."""
    import copy

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    kept = UpdateExpressionParser.make(expression)
    ours = validators.deepcopy(kept)
    assert validators.deepcopy.by_pickle
    assert same_tree(ours, copy.deepcopy(kept))
    assert ours is not kept
    assert ours.children[0] is not kept.children[0]


@pytest.mark.parametrize(("expression", "refusal"), [
    ("ADD a :one SET b = :one ADD c :one", "The \"ADD\" section can only be used once"),
    ("SET a = :one, b.c = :one, a = :one", "Two document paths overlap"),
    ("SET #a = :one, #a = :one", "Two document paths overlap"),
    ("SET b.c = :one, b = :one", "Two document paths overlap"),
])  # fmt: skip
def test_an_update_with_two_clauses_of_a_kind_or_a_path_twice_is_refused_as_dynamodb_refuses_it(
    installed, expression, refusal
):
    """Both checks run once, on the whole update (``emulator._check_whole_updates_once``), and refuse as before."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="cn-north-1")
        client.create_table(TableName="u", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")  # fmt: skip
        names = {"#a": "a"} if "#a" in expression else {}
        with pytest.raises(ClientError) as refused:
            client.update_item(TableName="u", Key={"pk": {"S": "x"}}, UpdateExpression=expression,
                               ExpressionAttributeValues={":one": {"N": "1"}},
                               **({"ExpressionAttributeNames": names} if names else {}))  # fmt: skip
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refusal in refused.value.response["Error"]["Message"]
