"""Demo data for the local stack, created once: running it again adds nothing.

The demo chain: four stores, the clothing tier programme, a staff account for each role with its password in
``.local/credentials.json`` beside the admin's, and 30 days of members, purchases, points, wallets and feedback
(``demo``), among them the member with the phone 13800138000, whose password is kept there under ``member``.
"""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.identity.access import Caller
from chalicelib.identity.rules import grant_of
from chalicelib.local import demo
from chalicelib.shared.errors import AlreadyExists, DomainError
from chalicelib.shared.files import private_file
from chalicelib.stores import service as stores
from chalicelib.stores.schemas import StoreCreate

DEMO_STORES = (
    StoreCreate(
        store_id="SH-001",
        name="上海静安旗舰店",
        city="上海",
        region="华东",
        address="上海市静安区南京西路1515号1层",
        phone="021-62880001",
    ),
    StoreCreate(
        store_id="BJ-001",
        name="北京三里屯店",
        city="北京",
        region="华北",
        address="北京市朝阳区三里屯路19号",
        phone="010-64170002",
    ),
    StoreCreate(
        store_id="GZ-001",
        name="广州天河店",
        city="广州",
        region="华南",
        address="广州市天河区天河路208号",
        phone="020-38330003",
    ),
    StoreCreate(
        store_id="CD-001",
        name="成都太古里店",
        city="成都",
        region="西南",
        address="成都市锦江区中纱帽街8号",
        phone="028-86520004",
    ),
)


@dataclass(frozen=True)
class DemoStaff:
    """A demo staff account: its key in credentials.json is its username."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    stores: tuple[str, ...] = ()


DEMO_STAFF = (
    DemoStaff("cashier", "收银员 陈晓", ("cashier",), ("SH-001",)),
    DemoStaff("manager", "店长 王建国", ("store_manager",), ("SH-001",)),
    DemoStaff("marketing", "市场专员 林悦", ("marketing",)),
    DemoStaff("service", "客服 赵敏", ("customer_service",)),
    DemoStaff("finance", "财务 孙倩", ("finance",)),
)


def seed_demo_data(credentials: Path | None = None) -> int:
    """Create what is missing of the demo data; return how many things were created (0: all there). Passwords of
    the demo staff and member are kept in ``credentials`` (mode 0600) and reused from it when present."""
    from chalicelib.tiers import programmes

    saved: dict[str, Any] = json.loads(credentials.read_text()) if credentials and credentials.exists() else {}
    created = 0
    if not programmes.versions():
        draft = programmes.create(programmes.clothing(), "seed")
        programmes.make_current(draft.version, "seed")
        created += 1
    for store in DEMO_STORES:
        try:
            stores.create_store(store)
        except AlreadyExists:
            continue
        created += 1
    partner_id = str((saved.get("partner") or {}).get("partner_id") or "demo-pos")
    with ThreadPoolExecutor(len(DEMO_STAFF)) as pool:  # argon2 hashes passwords outside the GIL: beside the story
        accounts = {account.username: pool.submit(_ensure_staff, account, saved) for account in DEMO_STAFF}
        told = demo.tell(demo.Cast(partner_id, staff=lambda username: accounts[username].result()[0]))
        created += told + sum(made for _, made in (account.result() for account in accounts.values()))
    if told:
        created += _member_password(saved)
    if credentials is not None and created:
        with private_file(credentials) as file:
            file.write(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    return created


def _ensure_staff(account: DemoStaff, saved: dict[str, Any]) -> tuple[Caller, int]:
    """The demo account, created if missing with the password saved before (else a new one), which ``saved`` keeps;
    an account whose password was not saved gets a new one."""
    from chalicelib.identity import service
    from chalicelib.identity.schemas import StaffCreate
    from chalicelib.shared.unique import UniqueRecord

    kept = (saved.get(account.username) or {}).get("password")
    password = str(kept or secrets.token_urlsafe(12))
    saved[account.username] = {"username": account.username, "password": password}
    holder = UniqueRecord.find(service.username_key(account.username))
    if holder is not None:
        if not kept:
            service.reset_password(holder.owner, password)
        return Caller("staff", holder.owner, grant_of(account.roles, account.stores)), 0
    created = service.create_staff(StaffCreate(username=account.username, display_name=account.display_name,
                                               password=password, roles=list(account.roles),
                                               stores=list(account.stores)))  # fmt: skip
    return Caller("staff", created.staff_id, grant_of(account.roles, account.stores)), 1


def _member_password(saved: dict[str, Any]) -> int:
    """The demo member's password (the one saved before, else a new one), set if they have none yet."""
    from chalicelib.identity.member_auth import set_password
    from chalicelib.members import service as members
    from chalicelib.members.model import normalise_phone
    from chalicelib.shared import clock

    member_id = members.holder(phone=normalise_phone(demo.DEMO_PHONE))
    if member_id is None:
        return 0
    password = str((saved.get("member") or {}).get("password") or secrets.token_urlsafe(12))
    try:
        set_password(member_id, password, None, None, clock.real_now().timestamp())
    except DomainError:
        return 0  # the member has a password already: the saved one stands
    saved["member"] = {"phone": demo.DEMO_PHONE, "password": password}
    return 1
