"""The stores API contract (and its OpenAPI source)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from chalicelib.shared.fields import NEXT_CURSOR, UTC_INSTANT, VERSION, Trimmed
from chalicelib.shared.http import Input, MergePatch, Schema
from chalicelib.stores.model import Store as StoreModel
from chalicelib.stores.model import StoreStatus

# Ids of what no store did, kept apart in the stored-value statement (paid cards bought on the member pages, points-mall
# orders no store collects, bonus forfeited on erasure): no store may take one, or their figures would mix.
RESERVED_STORE_IDS = frozenset({"membership", "mall", "erasure", "gift-cards"})


def _not_reserved(value: str) -> str:
    if value.lower() in RESERVED_STORE_IDS:
        raise ValueError(f"{value!r} is kept for figures no store made: choose another id")
    return value


StoreId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"), AfterValidator(_not_reserved)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Trimmed]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), Trimmed]
STORE_ID = "the store's id (门店编号): the business's own store code, e.g. `SH-001`, or one made for it (`st_…`)"
NAME = "the store's name as members see it (门店名称)"
CITY = "the city it is in (城市), e.g. 上海"
REGION = "the sales region it belongs to (区域), as the business divides its stores, e.g. 华东"
STATUS = "`open`, or `closed` (no longer trading; kept, with its history)"
ADDRESS = "where members find it (门店地址), e.g. 上海市静安区南京西路1515号; the member pages show it"
PHONE = "the store's own number members call (门店电话), e.g. 021-62881234"
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Trimmed]
StorePhone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+][0-9 ()-]{2,29}$"), Trimmed]


class StoreCreate(Input):
    """A new store. ``store_id`` may be the business's own store code (e.g. ``SH-001``); else one is made."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"store_id": "SH-001", "name": "静安嘉里中心店", "city": "上海", "region": "华东"}]
        }
    )

    store_id: StoreId | None = Field(default=None, description=f"{STORE_ID}; default: a new `st_…` id")
    name: Name = Field(description=NAME)
    city: Place = Field(description=CITY)
    region: Place = Field(description=REGION)
    status: StoreStatus = Field(default=StoreStatus.OPEN, description=STATUS)
    address: Address | None = Field(default=None, description=ADDRESS)
    phone: StorePhone | None = Field(default=None, description=PHONE)


class StorePatch(MergePatch):
    """A JSON merge patch of a store; null clears its address or phone, and no other field."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "静安嘉里中心旗舰店"}, {"status": "closed"},
                                                              {"address": "上海市静安区南京西路1515号"}]})  # fmt: skip
    clearable: ClassVar[frozenset[str]] = frozenset({"address", "phone"})

    name: Name | None = Field(default=None, description=NAME)
    city: Place | None = Field(default=None, description=CITY)
    region: Place | None = Field(default=None, description=REGION)
    status: StoreStatus | None = Field(default=None, description=STATUS)
    address: Address | None = Field(default=None, description=ADDRESS)
    phone: StorePhone | None = Field(default=None, description=PHONE)


class Store(Schema):
    """A store (门店) of the chain."""

    store_id: str = Field(description=STORE_ID)
    name: str = Field(description=NAME)
    city: str = Field(description=CITY)
    region: str = Field(description=REGION)
    status: StoreStatus = Field(description=STATUS)
    address: str | None = Field(default=None, description=ADDRESS)
    phone: str | None = Field(default=None, description=PHONE)
    created_at: str = Field(description=f"when it was created; {UTC_INSTANT}")
    updated_at: str = Field(description=f"when it last changed; {UTC_INSTANT}")
    version: int = Field(description=VERSION)

    @classmethod
    def of(cls, store: StoreModel) -> Store:
        return cls(**store.__dict__)


class StorePage(Schema):
    """A page of stores."""

    items: list[Store] = Field(description="this page's stores")
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class StoreListed(Schema):
    """An open store as members choose among them: its id, name and city."""

    store_id: str = Field(description=STORE_ID)
    name: str = Field(description=NAME)
    city: str = Field(description=CITY)
    address: str | None = Field(default=None, description=ADDRESS)
    phone: str | None = Field(default=None, description=PHONE)


class StoreDirectory(Schema):
    """The chain's open stores, by city and store code."""

    items: list[StoreListed] = Field(description="every open store of the chain, by city, then store code")
