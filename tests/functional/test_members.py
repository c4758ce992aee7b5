"""Members through the API: registration, unique phones, edits with If-Match, lookups, lists, erasure."""

import json

import pytest
from pynamodb.connection.table import TableConnection

from chalicelib.members import service
from chalicelib.members.records import MemberRecord
from chalicelib.members.repository import phone_key
from chalicelib.shared import clock
from chalicelib.shared.cache import Cached
from chalicelib.shared.unique import UniqueRecord
from tests.conftest import item_counts, member_token, published_envelopes, token_for

PATCH = {"content-type": "application/merge-patch+json"}


@pytest.fixture
def stores(api):
    for store_id in ("SH-001", "BJ-001"):
        api.post("/v1/stores", {"store_id": store_id, "name": store_id, "city": "c", "region": "r"})


def register(api, phone="13812345678", **fields):
    return api.post("/v1/members", {"name": "张三", "phone": phone, **fields})


def edit(api, member_id, body, etag):
    return api.patch(f"/v1/members/{member_id}", body, headers={**PATCH, "if-match": etag})


class TestRegistration:
    def test_answers_201_with_the_member_an_etag_and_a_number(self, api, stores):
        answer = register(api, email="Zhang.San@Example.COM", birthday="1990-05-01", home_store_id="SH-001",
                          addresses=[{"city": "上海", "detail": "南京西路1号"}], consents={"sms": True})  # fmt: skip
        assert answer.status == 201
        member = answer.body
        assert member["phone"] == "+8613812345678"
        assert member["phone_masked"] == "138****5678"
        assert member["email"] == "zhang.san@example.com"
        assert (member["status"], member["tier"], member["source"]) == ("active", "normal", "store")
        assert len(member["member_no"]) == 10
        assert member["consents"]["sms"]["granted"] is True
        assert member["consents"]["sms"]["source"] == "registration"  # as its history says (a walkthrough read none)
        assert answer.headers["etag"] == '"1"'
        assert answer.headers["location"] == f"/v1/members/{member['member_id']}"
        assert api.get(f"/v1/members/{member['member_id']}").body == member

    def test_a_walk_in_who_gives_only_a_phone_is_named_by_its_last_four_digits(self, api):
        """Tills register a customer by phone alone; the name is said later (a walkthrough's counter refused it)."""
        answer = api.post("/v1/members", {"phone": "+86 138 1234 5678"})
        assert answer.status == 201
        assert answer.body["name"] == "会员5678"
        member_id = answer.body["member_id"]
        changed = edit(api, member_id, {"name": "张三"}, answer.headers["etag"])
        assert changed.body["name"] == "张三"

    @pytest.mark.parametrize("again", ["+86 138 1234 5678", "008613812345678", "138-1234-5678"])
    def test_a_phone_belongs_to_one_member_however_it_is_written(self, api, again):
        register(api)
        before = item_counts()
        answer = register(api, phone=again)
        assert answer.status == 409
        assert answer.body["type"].endswith("/phone-taken")
        assert item_counts() == before

    def test_a_given_member_number_is_kept_and_cannot_be_reused(self, api):
        assert register(api, member_no="VIP-0001").body["member_no"] == "VIP-0001"
        answer = register(api, phone="13900000001", member_no="VIP-0001")
        assert answer.status == 409
        assert answer.body["type"].endswith("/member-no-taken")

    def test_unknown_store_or_referrer_is_422_and_writes_nothing(self, api):
        before = item_counts()
        answer = register(api, home_store_id="NOPE", referrer_id="mb_missing")
        assert answer.status == 422
        assert {e["field"] for e in answer.body["errors"]} == {"home_store_id", "referrer_id"}
        assert item_counts() == before

    @pytest.mark.parametrize(
        "fields",
        [{"phone": "12345"}, {"birthday": "2999-01-01"}, {"email": "not-an-email"}, {"tier": "gold"},
         {"status": "frozen"}, {"registered_at": "2024-01-01T00:00:00"}, {"consents": {"fax": True}}],
    )  # fmt: skip
    def test_bad_or_forbidden_fields_are_422(self, api, fields):
        assert api.post("/v1/members", {"name": "A", "phone": "13812345678", **fields}).status == 422
        assert MemberRecord.count() == 0

    @pytest.mark.parametrize(
        "registered_at", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1989-12-31T00:00:00+08:00"]
    )
    def test_implausible_registration_times_are_422_not_500(self, api, registered_at):
        assert register(api, registered_at=registered_at).status == 422

    def test_a_referrer_erased_before_the_commit_is_refused(self, api, monkeypatch):
        from chalicelib.members import service

        referrer = register(api, phone="13900000009").body
        api.call("DELETE", f"/v1/members/{referrer['member_id']}")
        monkeypatch.setattr(service, "_check_references", lambda store_id, referrer_id: None)
        answer = register(api, referrer_id=referrer["member_id"])
        assert answer.status == 422
        assert answer.body["errors"][0]["field"] == "referrer_id"
        assert MemberRecord.count() == 1

    def test_the_stored_request_fingerprint_is_keyed(self, api):
        import hashlib

        from chalicelib.shared.idempotency import IdempotencyRecord

        body = {"name": "A", "phone": "13812345678"}
        api.post("/v1/members", body, headers={"idempotency-key": "fingerprint-01"})
        (record,) = IdempotencyRecord.scan()
        plain = hashlib.sha256(json.dumps(body).encode()).hexdigest()
        assert record.request_hash.startswith("h1:")
        assert plain not in record.request_hash
        assert "13812345678" not in record.body

    def test_a_repeated_idempotency_key_returns_the_same_member(self, api):
        key = {"idempotency-key": "register-0001"}
        first = api.post("/v1/members", {"name": "A", "phone": "13812345678"}, headers=key)
        again = api.post("/v1/members", {"name": "A", "phone": "13812345678"}, headers=key)
        assert first.status == again.status == 201
        assert again.body["member_id"] == first.body["member_id"]
        assert MemberRecord.count() == 1


class TestEditing:
    def test_an_edit_with_the_etag_applies_and_bumps_it(self, api, stores):
        member = register(api).body
        answer = edit(api, member["member_id"], {"city": "杭州", "home_store_id": "BJ-001", "email": "a@b.cn"}, '"1"')
        assert answer.status == 200
        assert (answer.body["city"], answer.body["home_store_id"], answer.body["email"]) == ("杭州", "BJ-001", "a@b.cn")
        assert answer.headers["etag"] == '"2"'

    def test_without_if_match_428_and_stale_412(self, api):
        member = register(api).body
        path = f"/v1/members/{member['member_id']}"
        assert api.patch(path, {"city": "x"}, headers=PATCH).status == 428
        edit(api, member["member_id"], {"city": "x"}, '"1"')
        assert edit(api, member["member_id"], {"city": "y"}, '"1"').status == 412
        assert api.get(path).body["city"] == "x"

    def test_null_clears_optional_fields_but_not_required_ones(self, api):
        member = register(api, email="a@b.cn").body
        cleared = edit(api, member["member_id"], {"email": None}, '"1"')
        assert cleared.body["email"] is None
        assert edit(api, member["member_id"], {"phone": None}, '"2"').status == 422

    def test_members_cannot_be_given_a_tier_number_or_source_by_edit(self, api):
        member = register(api).body
        for field, value in (("tier", "gold"), ("member_no", "1"), ("source", "ads"), ("registered_at", "x")):
            assert edit(api, member["member_id"], {field: value}, '"1"').status == 422

    def test_changing_the_phone_moves_its_claim(self, api):
        member = register(api).body
        moved = edit(api, member["member_id"], {"phone": "13900000000"}, '"1"')
        assert moved.body["phone"] == "+8613900000000"
        assert api.post("/v1/members/lookup", {"phone": "13900000000"}).body["member_id"] == member["member_id"]
        assert api.post("/v1/members/lookup", {"phone": "13812345678"}).status == 404
        assert register(api, phone="13812345678").status == 201

    def test_a_phone_taken_by_another_member_is_409_and_nothing_changes(self, api):
        first = register(api).body
        second = register(api, phone="13900000000").body
        before = item_counts()
        answer = edit(api, second["member_id"], {"phone": "13812345678", "city": "x"}, '"1"')
        assert answer.status == 409
        assert item_counts() == before
        assert api.post("/v1/members/lookup", {"phone": "13812345678"}).body["member_id"] == first["member_id"]
        assert api.get(f"/v1/members/{second['member_id']}").body["city"] is None

    def test_freezing_is_an_edit_erasing_is_not(self, api):
        member = register(api).body
        assert edit(api, member["member_id"], {"status": "frozen"}, '"1"').body["status"] == "frozen"
        assert edit(api, member["member_id"], {"status": "erased"}, '"2"').status == 422


class TestLookup:
    def test_by_phone_or_member_number(self, api):
        member = register(api).body
        assert api.post("/v1/members/lookup", {"phone": "+86 13812345678"}).body["member_id"] == member["member_id"]
        by_no = api.post("/v1/members/lookup", {"member_no": member["member_no"]})
        assert by_no.body["member_id"] == member["member_id"]
        assert by_no.headers["etag"] == '"1"'

    def test_by_email_when_one_member_has_it_and_409_when_several_share_it(self, api):
        first = register(api, email="Family@Example.com").body
        assert api.post("/v1/members/lookup", {"email": "family@example.COM"}).body["member_id"] == first["member_id"]
        register(api, phone="13900000000", email="family@example.com")
        shared = api.post("/v1/members/lookup", {"email": "family@example.com"})
        assert shared.status == 409
        assert shared.body["type"].endswith("/ambiguous-email")
        assert api.post("/v1/members/lookup", {"email": "nobody@example.com"}).status == 404

    def test_unknown_is_404_and_the_query_must_name_exactly_one_key(self, api):
        assert api.post("/v1/members/lookup", {"phone": "13812345678"}).status == 404
        assert api.post("/v1/members/lookup", {}).status == 422
        assert api.post("/v1/members/lookup", {"phone": "13812345678", "member_no": "1234"}).status == 422
        assert api.post("/v1/members/lookup", {"phone": "13812345678", "email": "a@b.cn"}).status == 422


class TestStudents:
    """学员: the children a parent buys classes for, sealed with the parent's personal data (an education chain's
    walkthrough: a second child's pack became a renewal of the first's)."""

    def test_students_are_added_kept_by_id_and_removed_by_an_edit_of_the_whole_list(self, api):
        answer = register(api, students=[{"name": "小明", "birthday": "2016-03-09", "guardian_consent": True}])
        member, etag = answer.body, answer.headers["etag"]
        [ming] = member["students"]
        assert ming["student_id"].startswith("st_")
        assert ming["name"] == "小明"
        both = edit(api, member["member_id"], {"students": [ming, {"name": "小红", "guardian_consent": True}]}, etag)
        assert both.status == 200
        assert [s["name"] for s in both.body["students"]] == ["小明", "小红"]
        assert both.body["students"][0] == ming  # kept by its id
        hong = both.body["students"][1]
        assert hong["student_id"] not in (ming["student_id"], None)
        renamed = edit(api, member["member_id"], {"students": [{**hong, "name": "小红红"}]}, both.headers["etag"])
        assert renamed.body["students"] == [{**hong, "name": "小红红"}]  # 小明 removed, 小红 renamed under her id
        again = edit(
            api,
            member["member_id"],
            {"students": [{"name": "小明", "guardian_consent": True}]},
            renamed.headers["etag"],
        )
        assert again.body["students"][0]["student_id"] != ming["student_id"]  # an id is never given again

    @pytest.mark.parametrize("students", [
        [{"student_id": "st_00000000", "name": "小明"}],  # not one of the member's
        [{"name": "小明"}], [{"name": "小明", "guardian_consent": False}],  # no guardian's consent (PIPL art. 31)
        [{"name": "", "guardian_consent": True}], None, [{"name": "x", "guardian_consent": True}] * 11,
        [{"name": "小明", "birthday": "2999-01-01", "guardian_consent": True}],
    ])  # fmt: skip
    def test_a_bad_list_is_422_and_changes_nothing(self, api, students):
        answer = register(api, students=[{"name": "小明", "guardian_consent": True}])
        refused = edit(api, answer.body["member_id"], {"students": students}, answer.headers["etag"])
        assert refused.status == 422, refused.body
        assert api.get(f"/v1/members/{answer.body['member_id']}").body == answer.body

    def test_a_member_edits_their_own_and_masked_readers_see_no_birthday(self, api):
        member_id, token = member_token("13911112222")
        me = api.as_(token)
        mine = me.get("/v1/me")
        students = [
            {"name": "小明", "birthday": "2016-03-09", "guardian_consent": True},
            {"name": "小红", "guardian_consent": True},
        ]
        changed = me.patch("/v1/me", {"students": students}, headers={**PATCH, "if-match": mine.headers["etag"]})
        assert [(s["name"], s["birthday"], s["consent_by"]) for s in changed.body["students"]] == [
            ("小明", "2016-03-09", "member"),
            ("小红", None, "member"),
        ]  # the guardian's consent, given on their own pages, stamped
        assert changed.body["students"][0]["consent_at"].startswith(clock.iso(clock.now())[:10])
        masked = api.get(f"/v1/members/{member_id}?masked=true").body
        assert [(s["name"], s["birthday"]) for s in masked["students"]] == [("小明", None), ("小红", None)]

    def test_a_desk_of_any_store_adds_a_child_once_per_key_and_the_rest_stay(self, api):
        """A parent who joined online buys a child's pack at a campus (an education chain's walkthrough: no desk could
        name the child, the member being of no store)."""
        member = api.post("/v1/members", {"name": "线上家长", "phone": "13811112222",
                                          "students": [{"name": "小明", "birthday": "2016-03-09",
                                                        "guardian_consent": True}]}).body  # fmt: skip
        desk = api.as_(token_for(["cashier"], stores=("SH-001",)))
        path = f"/v1/members/{member['member_id']}/students"
        added = desk.post(
            path, {"name": "小红", "guardian_consent": True}, headers={"idempotency-key": "add-hong-0001"}
        )
        again = desk.post(
            path, {"name": "小红", "guardian_consent": True}, headers={"idempotency-key": "add-hong-0001"}
        )
        assert (added.status, added.body["name"], again.body) == (201, "小红", added.body)
        assert added.body["consent_by"] == "staff"  # the desk recorded the parent's consent
        students = api.get(f"/v1/members/{member['member_id']}").body["students"]
        assert [(s["name"], s["birthday"]) for s in students] == [("小明", "2016-03-09"), ("小红", None)]
        updated = [e["payload"] for e in published_envelopes() if e["type"] == "member.updated"]
        assert [u.get("students_added") for u in updated] == [[added.body["student_id"]]]  # audited, by id only
        assert "小红" not in json.dumps(updated, ensure_ascii=False)
        assert desk.post(path, {"name": ""}).status == 422
        assert desk.post("/v1/members/mb_nobody/students", {"name": "小刚", "guardian_consent": True}).status == 404

    def test_a_member_frozen_and_their_student_removed_in_one_edit(self, api):
        """A review: an edit changing the status and removing a student wrote the member's ledger account twice in one
        transaction, and was refused whole (500)."""
        answer = register(api, students=[{"name": "小明", "guardian_consent": True}])
        frozen = edit(api, answer.body["member_id"], {"status": "frozen", "students": []}, answer.headers["etag"])
        assert (frozen.status, frozen.body["status"], frozen.body["students"]) == (200, "frozen", [])

    def test_erasure_forgets_them(self, api):
        answer = register(api, students=[{"name": "小明", "guardian_consent": True}])
        member = answer.body
        more = [*member["students"], {"name": "小红", "guardian_consent": True}]
        assert edit(api, member["member_id"], {"students": more}, answer.headers["etag"]).status == 200
        assert UniqueRecord.find(f"students:{member['member_id']}") is not None  # an edit marks the list
        api.call("DELETE", f"/v1/members/{member['member_id']}")
        assert api.get(f"/v1/members/{member['member_id']}").body["students"] == []
        assert MemberRecord.get(member["member_id"]).students_sealed is None
        assert UniqueRecord.find(f"students:{member['member_id']}") is None  # nor the marker of their list


class TestErasure:
    def test_erasure_anonymises_releases_the_phone_and_destroys_the_key(self, api):
        member = register(api, email="a@b.cn", birthday="1990-05-01", addresses=[{"detail": "x"}]).body
        assert api.call("DELETE", f"/v1/members/{member['member_id']}").status == 204
        erased = api.get(f"/v1/members/{member['member_id']}").body
        assert erased["status"] == "erased"
        assert erased["erased_at"]
        for field in ("phone", "phone_masked", "email", "birthday"):
            assert erased[field] is None, field
        assert (erased["name"], erased["addresses"], erased["member_no"]) == ("", [], member["member_no"])
        record = MemberRecord.get(member["member_id"])
        assert record.data_key is None
        assert UniqueRecord.find(phone_key("+8613812345678")) is None
        assert api.post("/v1/members/lookup", {"phone": "13812345678"}).status == 404
        assert api.post("/v1/members/lookup", {"member_no": member["member_no"]}).status == 404

    def test_the_phone_claim_names_its_member_until_erasure(self, api):
        member = register(api).body
        assert UniqueRecord.find(phone_key("+8613812345678")).owner == member["member_id"]

    def test_a_concurrent_edit_does_not_stop_an_erasure(self, api, monkeypatch):
        from chalicelib.members import service

        member = register(api).body
        stale = service.get_record(member["member_id"])
        edit(api, member["member_id"], {"city": "x"}, '"1"')
        reads = iter([stale])
        original = service.get_record
        monkeypatch.setattr(service, "get_record", lambda mid: next(reads, None) or original(mid))
        assert api.call("DELETE", f"/v1/members/{member['member_id']}").status == 204
        assert api.get(f"/v1/members/{member['member_id']}").body["status"] == "erased"

    def test_an_erased_phone_can_register_again_and_the_number_stays_reserved(self, api):
        member = register(api).body
        api.call("DELETE", f"/v1/members/{member['member_id']}")
        assert register(api).status == 201
        assert register(api, phone="13900000000", member_no=member["member_no"]).status == 409

    def test_erasing_twice_is_fine_and_editing_an_erased_member_is_409(self, api):
        from chalicelib.members.records import MemberRecord

        member = register(api, language="en").body
        assert MemberRecord.get(member["member_id"]).joined_in == "en"
        path = f"/v1/members/{member['member_id']}"
        assert api.call("DELETE", path).status == 204
        assert MemberRecord.get(member["member_id"]).joined_in is None  # nothing kept that erasure need not keep
        assert api.call("DELETE", path).status == 204
        assert edit(api, member["member_id"], {"city": "x"}, '"2"').status == 409
        assert api.call("DELETE", "/v1/members/mb_nobody").status == 404

    def test_an_erased_member_is_named_in_no_list_row(self, api):
        """Found by a review: the briefs a store's sales and the mall's orders carry kept an erased member's number."""
        from chalicelib.members import service

        member, other = register(api).body, register(api, phone="13900000077").body
        api.call("DELETE", f"/v1/members/{member['member_id']}")
        rows = service.with_briefs([{"member_id": member["member_id"]}, {"member_id": other["member_id"]}])
        assert [row["member"] for row in rows] == [
            {"member_no": None, "name": "", "phone_masked": None},
            {"member_no": other["member_no"], "name": other["name"], "phone_masked": other["phone_masked"]},
        ]


class TestListing:
    @pytest.fixture
    def crowd(self, api, stores):
        made = []
        for n in range(9):
            store = "SH-001" if n % 3 else "BJ-001"
            month = f"2026-0{1 + n % 3}"
            made.append(register(api, phone=f"1390000{n:04d}", home_store_id=store,
                                 registered_at=f"{month}-1{n}T10:00:00+08:00").body)  # fmt: skip
        edit(api, made[0]["member_id"], {"status": "frozen"}, '"1"')
        return made

    def walk(self, api, query):
        seen, cursor = [], None
        for _ in range(50):
            page = api.get(f"/v1/members?limit=2&{query}" + (f"&cursor={cursor}" if cursor else "")).body
            assert len(page["items"]) <= 2
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen
        raise AssertionError("the listing did not end")

    def test_every_member_once_newest_first(self, api, crowd):
        rows = self.walk(api, "")
        assert sorted(r["member_id"] for r in rows) == sorted(m["member_id"] for m in crowd)
        assert [r["registered_at"] for r in rows] == sorted((r["registered_at"] for r in rows), reverse=True)
        assert all("phone" not in r and r["phone_masked"].startswith("139") for r in rows)

    def test_by_store_status_and_dates(self, api, crowd):
        assert {r["home_store_id"] for r in self.walk(api, "store_id=SH-001")} == {"SH-001"}
        assert len(self.walk(api, "store_id=SH-001")) == 6
        assert [r["member_id"] for r in self.walk(api, "status=frozen")] == [crowd[0]["member_id"]]
        february = self.walk(api, "registered_from=2026-02-01&registered_to=2026-02-28")
        assert {r["registered_at"][:7] for r in february} == {"2026-02"}
        assert len(february) == 3
        assert len(self.walk(api, "store_id=BJ-001&registered_from=2026-01-01&registered_to=2026-01-31")) == 3
        assert self.walk(api, "store_id=BJ-001&registered_from=2026-02-01") == []

    def test_a_cursor_only_continues_the_list_it_came_from(self, api, crowd):
        cursor = api.get("/v1/members?limit=1&store_id=SH-001").body["next_cursor"]
        assert api.get(f"/v1/members?limit=1&store_id=BJ-001&cursor={cursor}").status == 400

    @pytest.mark.parametrize("query", ["registered_from=0001-01-01", "registered_to=9999-12-31"])
    def test_dates_out_of_range_are_422_not_500(self, api, query):
        assert api.get(f"/v1/members?{query}").status == 422

    def test_members_registered_today_appear_in_an_unfiltered_list(self, api):
        member = register(api).body
        assert [row["member_id"] for row in self.walk(api, "")] == [member["member_id"]]

    def test_reversed_dates_are_422(self, api):
        assert api.get("/v1/members?registered_from=2026-02-01&registered_to=2026-01-01").status == 422


class TestSparseListing:
    """Over a few hundred members, filters that let few by still fill their pages: an empty page ends a list."""

    GOLD = (0, 1, 2, 3, 4, 41, 150, 299)  # five in the newest month, then one every few months
    FROZEN = (10, 11, 12)

    @pytest.fixture
    def crowd(self, api, stores):
        """Three hundred members, twenty a month, newest first: copies of one registered member's profile, with
        their own ids, months, stores and tiers (a list reads nothing else). Written around the service, as members
        registered before the platform recorded its oldest registration month: the migration records it."""
        model = MemberRecord.get(register(api, home_store_id="SH-001").body["member_id"])
        made = []
        with MemberRecord.batch_write() as batch:
            for n in range(300):
                year, month = divmod(2026 * 12 + 10 - n // 20, 12)
                registered_at = f"{year}-{month + 1:02d}-{28 - n % 20:02d}T02:00:00.000Z"
                member = MemberRecord.from_raw_data(model.serialize())
                member.member_id = f"mb_sparse{n:03d}"
                member.home_store_id = ("SH-001", "BJ-001")[n % 2]
                member.tier = "gold" if n in self.GOLD else "normal"
                member.status = "frozen" if n in self.FROZEN else "active"
                member.registered_at, member.registered_month = registered_at, registered_at[:7]
                member.registered_key = f"{registered_at}#{member.member_id}"
                batch.save(member)
                made.append(member.member_id)
        model.delete()
        assert service.record_oldest_registration() == "2025-09"
        return made

    def pages(self, api, query):
        pages, cursor = [], None
        while True:
            answer = api.get(f"/v1/members?{query}" + (f"&cursor={cursor}" if cursor else ""))
            assert answer.status == 200, answer.body
            pages.append(answer.body)
            cursor = answer.body["next_cursor"]
            if cursor is None:
                return pages

    @pytest.mark.parametrize("query", ["tier=gold&limit=3", "tier=gold&store_id=SH-001&limit=2"])
    def test_no_page_before_the_end_is_empty(self, api, crowd, query):
        pages = self.pages(api, query)
        assert all(page["items"] for page in pages[:-1])
        found = [row["member_id"] for page in pages for row in page["items"]]
        gold = [crowd[n] for n in self.GOLD if "SH-001" not in query or n % 2 == 0]
        assert found == gold  # each once, newest first
        assert len(pages) <= len(gold) // int(query.rpartition("=")[2]) + 3

    def test_a_dense_filter_fills_every_page_but_the_last(self, api, crowd):
        pages = self.pages(api, "status=active&limit=40")
        assert [len(page["items"]) for page in pages][:8] == [40] * 7 + [17]
        found = [row["member_id"] for page in pages for row in page["items"]]
        assert found == [member for n, member in enumerate(crowd) if n not in self.FROZEN]

    def test_the_last_page_walks_back_to_the_oldest_registration_and_a_member_dated_back_moves_it(
        self, api, crowd, monkeypatch
    ):
        """A list of every member ends at the oldest month anyone registered in, not at 1990; a registration
        dated further back (an import, in another process) moves that month, and the list still ends with it."""
        months = []
        query = TableConnection.query

        def counted_query(*args, **kwargs):
            months.append(args[1] if len(args) > 1 else kwargs.get("hash_key"))
            return query(*args, **kwargs)

        monkeypatch.setattr(TableConnection, "query", counted_query)
        assert self.pages(api, "tier=gold&limit=3")[-1]["next_cursor"] is None
        assert min(months) == "2025-09"  # not a month before it (the walk went back to 1990: 449 reads)
        monkeypatch.setattr(service, "_oldest_known", Cached(lambda: "2025-09", 3600))  # a copy that stays behind
        answer = register(api, phone="13900000001", registered_at="2019-03-08T14:20:00+08:00")
        assert answer.status == 201, answer.body
        older = answer.body["member_id"]
        months.clear()
        found = [row["member_id"] for page in self.pages(api, "limit=100") for row in page["items"]]
        assert found[-1] == older
        assert min(months) == "2019-03"

    def test_a_page_that_found_members_stops_after_its_reads(self, api, crowd, monkeypatch):
        """The read bound holds once a page has something: a short page then comes with a cursor. (The first
        read brings the store's fifty newest members, three of them gold.)"""
        reads = []
        query = TableConnection.query

        def counted_query(*args, **kwargs):
            reads.append(kwargs.get("index_name"))
            return query(*args, **kwargs)

        monkeypatch.setattr(TableConnection, "query", counted_query)
        monkeypatch.setattr(service, "READS_PER_PAGE", 1)
        first = api.get("/v1/members?store_id=SH-001&tier=gold&limit=50").body
        assert [row["member_id"] for row in first["items"]] == [crowd[0], crowd[2], crowd[4]]
        assert reads == ["by-store"]
        assert first["next_cursor"]


def test_a_process_that_imported_only_the_members_domain_runs_every_domains_erasure_check():
    """Found on rereading: the wallet's check registered when the wallet was imported, which a function answering
    only the erasure never does, so it erased a member holding principal. Checks live in each domain's ``erasure``
    module, which the erasure imports."""
    import os
    import subprocess
    import sys

    code = (
        "import app, chalicelib.members.api\n"
        "from chalicelib.members import service\n"
        "print(sorted(check.__module__ for check in service.erasure_checks()))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (
        run.stdout.strip()
        == "['chalicelib.mall.erasure', 'chalicelib.membership.erasure', 'chalicelib.membership.erasure', "
        "'chalicelib.wallet.erasure']"
    )
