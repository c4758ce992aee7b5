"""The catalogue's names (品类与品牌名称): head office names the tills' codes on the console, over the deployment's
defaults, and the rules in words, coupons, the sales mix and the member pages read them (a bakery's walkthrough found
bread and coffee read as codes, nameable only by a redeploy)."""

import pytest

from chalicelib.shared.settings import get_settings
from tests.conftest import item_counts, token_for


@pytest.fixture
def defaults(monkeypatch):
    monkeypatch.setenv("LOYALTY_CATEGORY_NAMES", '{"gift-card": "礼品卡"}')
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("LOYALTY_CATEGORY_NAMES")
    get_settings.cache_clear()


def test_head_office_names_the_codes_and_every_reader_uses_the_names(api, defaults):
    read = api.as_(token_for(["cashier"], ("SH-001",))).get("/v1/catalog/names")
    assert read.status == 200
    assert read.body == {"categories": {"gift-card": {"zh": "礼品卡", "en": "礼品卡"}}, "brands": {}, "version": 0}
    names = {"categories": {"bread": {"zh": "面包", "en": "bread"}, "gift-card": {"zh": "礼品卡", "en": "gift cards"},
                            "Hot Drinks": {"zh": "热饮"}},  # any code a till sends (a review's was refused)
             "brands": {"b-lor": {"zh": "欧莱雅"}}, "version": 0}  # fmt: skip
    saved = api.as_(token_for(["marketing"])).call("PUT", "/v1/catalog/names", names)
    assert saved.status == 200, saved.body
    assert saved.body["version"] == 1
    assert saved.body["categories"]["bread"] == {"zh": "面包", "en": "bread"}
    assert saved.body["brands"]["b-lor"] == {"zh": "欧莱雅", "en": ""}
    assert api.call("PUT", "/v1/catalog/names", names).status == 409  # read at version 0: another save came since

    template = api.post("/v1/coupons/templates", {
        "name": "面包满减", "kind": "threshold", "threshold_fen": 5_000, "amount_off_fen": 500,
        "validity": {"days_after_issue": 7}, "applies_to": {"categories": ["面包"], "excluded_brands": ["欧莱雅"]},
    }).body  # fmt: skip
    assert (template["applies_to"]["categories"], template["applies_to"]["excluded_brands"]) == (["bread"], ["b-lor"])
    assert "限品类 面包" in template["rules"]
    assert "不适用品牌 欧莱雅" in template["rules"]


@pytest.mark.parametrize("body", [
    {"categories": {"x" * 65: {"zh": "面包"}}, "brands": {}, "version": 0},  # longer than a till's code
    {"categories": {"bread": {"zh": ""}}, "brands": {}, "version": 0},
    {"categories": {"bread": {"zh": "面" * 21}}, "brands": {}, "version": 0},
    {"categories": {"bread": {"zh": "面\u0000包"}}, "brands": {}, "version": 0},  # a control character
    {"categories": {}, "brands": {"b-lor": {"zh": "欧莱雅", "en": "L\u202eOreal"}}, "version": 0},
    {"categories": {}, "brands": {}},
])  # fmt: skip
def test_names_that_make_no_sense_are_refused_and_nothing_is_written(api, body):
    before = item_counts()
    answer = api.call("PUT", "/v1/catalog/names", body)
    assert answer.status == 422, answer.body
    assert item_counts() == before


def test_a_store_manager_may_read_the_names_but_not_set_them(api):
    manager = api.as_(token_for(["store_manager"], ("SH-001",)))
    assert manager.get("/v1/catalog/names").status == 200
    assert manager.call("PUT", "/v1/catalog/names", {"categories": {}, "brands": {}, "version": 0}).status == 403
