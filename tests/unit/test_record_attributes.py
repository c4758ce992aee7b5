"""Records of plain attributes (``chalicelib.shared.db.Record``) set, default, serialize and read their attributes
directly, as pynamodb's descriptors do it: every table's record class, against pynamodb's own way."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pynamodb import attributes
from pynamodb.attributes import AttributeContainer
from pynamodb.exceptions import AttributeNullError

from chalicelib.shared.db import Record, _plain, registered_tables

RECORDS = registered_tables()


def sample(attribute: attributes.Attribute, given: str = "plain") -> object:
    """A value of the attribute's kind; ``converted``: one its attribute converts when set (an instant in another
    zone with microseconds for a TTL, a version as text)."""
    converted = given == "converted"
    for kind, value in (
        (
            attributes.TTLAttribute,
            datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=8)))
            if converted
            else datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
        (attributes.VersionAttribute, "3" if converted else 3),
        (attributes.BooleanAttribute, True),
        (attributes.BinaryAttribute, b"\x00\xff"),
        (attributes.NumberAttribute, -42),
        (attributes.ListAttribute, ["a", "b"]),
    ):
        if isinstance(attribute, kind):
            return value
    return "文本 text"


def pynamodbs(cls: type[Record], **values: object) -> Record:
    """An item made pynamodb's way, through its attributes' descriptors."""
    made = cls.__new__(cls)
    made.attribute_values = {}
    AttributeContainer._set_defaults(made)
    AttributeContainer._set_attributes(made, **values)
    return made


def test_records_with_lists_alone_go_pynamodbs_way():
    assert {cls.__name__ for cls in RECORDS if _plain(cls) is None} == {
        "MemberImportRecord", "MemberRecord", "PartnerRecord", "StaffRecord",
    }  # fmt: skip


@pytest.mark.parametrize("given", ["plain", "converted"])
@pytest.mark.parametrize("cls", RECORDS, ids=[cls.__name__ for cls in RECORDS])
def test_a_record_is_made_written_and_read_as_pynamodb_makes_writes_and_reads_it(cls, given):
    values = {name: sample(attribute, given) for name, attribute in cls.get_attributes().items()}
    ours, theirs = cls(**values), pynamodbs(cls, **values)
    assert ours.attribute_values == theirs.attribute_values
    written = ours._container_serialize()
    assert written == AttributeContainer._container_serialize(theirs)
    read, read_by_pynamodb = cls.__new__(cls), cls.__new__(cls)
    read._container_deserialize(written)
    AttributeContainer._container_deserialize(read_by_pynamodb, written)
    assert read.attribute_values == read_by_pynamodb.attribute_values
    assert cls().attribute_values == pynamodbs(cls).attribute_values  # the defaults of a new item
    with pytest.raises(ValueError, match="does not exist"):
        cls(no_such_attribute=1)


@pytest.mark.parametrize("cls", RECORDS, ids=[cls.__name__ for cls in RECORDS])
def test_a_required_attribute_left_out_is_refused_as_pynamodb_refuses_it(cls):
    required = [name for name, attribute in cls.get_attributes().items() if not attribute.null]
    if not required:
        pytest.skip("every attribute may be left out")
    values = {name: sample(attribute) for name, attribute in cls.get_attributes().items() if name != required[-1]}
    for made in (cls(**values), pynamodbs(cls, **values)):
        made.attribute_values.pop(required[-1], None)  # a default, if it has one, left out too
        with pytest.raises(AttributeNullError) as refused:
            made._container_serialize() if made.__class__ is cls else AttributeContainer._container_serialize(made)
        assert str(refused.value) == f"Attribute '{required[-1]}' cannot be None"
