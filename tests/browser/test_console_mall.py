"""The back office's points mall as marketing, fulfilment staff and a cashier use it: marketing puts a coupon on sale
for points, the demo member exchanges it on their phone and holds the coupon, marketing restocks, edits and stops it;
staff ship an order, mark it received and refund it after sale, and cancel another with a reason (the points back
each time); a cashier verifies at the counter the pickup code a member shows on their phone, the member sees the
order completed, and a code used before or for another store is said plainly."""

from __future__ import annotations

import io
import re
import secrets

from PIL import Image
from playwright.sync_api import expect

from chalicelib.media import rules
from tests.browser.conftest import Screens, Site
from tests.browser.test_console_coupons import template
from tests.browser.test_console_shell import log_in, unlabelled_inputs
from tests.browser.test_member_mall import exchange_as, reward, shopper
from tests.browser.test_member_pages import exchange_on, me_api, open_as
from tests.http import send
from tests.pictures import large_photo, png

TITLE = "积分商城 · 会员管理后台"
ORDERS_TITLE = "兑换订单 · 会员管理后台"
ADDRESS = {"name": "李雷", "phone": "13912340000", "address": "北京市朝阳区建国路 88 号 2 单元 301"}


def test_marketing_puts_a_coupon_on_sale_the_demo_member_exchanges_it_and_marketing_restocks_edits_and_stops_it(
    site: Site, console: Screens, mobile: Screens
) -> None:
    tag = secrets.token_hex(2)
    coupon = template(site, f"商城专享满100减20·{tag}")  # its own, so the demo member's other coupons stay as they are
    page = log_in(console, site, "marketing")
    page.locator("[data-menu=mall]").click()  # the marketing group's entry
    expect(page).to_have_title(TITLE)
    page.locator("[data-test=rewards]").wait_for()
    console.shot("rewards")

    name = f"满减券换购·{tag}"
    page.locator("[data-test=reward-create]").click()
    dialog = page.get_by_role("dialog", name="新建积分商品")
    dialog.get_by_label("商品名称").fill(name)
    dialog.locator("[data-test=reward-kind-choice]").get_by_text("优惠券").click()
    dialog.get_by_label("优惠券模板").click()
    page.locator(".el-select-dropdown__item:visible", has_text=coupon["name"]).click()
    dialog.get_by_label("所需积分（每件）").fill("10")
    prices = dialog.locator("[data-test=reward-tier-points] input")  # 会员价, for every tier of the programme
    tiered = prices.count()
    prices.nth(tiered - 2).fill("8")  # gold's alone: diamond, left empty, would pay more (said, not refused)
    expect(dialog.locator("[data-test=tier-price-inversion]")).to_contain_text("比黄金会员（8 积分）还贵")
    prices.nth(0).fill("12")  # above the regular price: that box alone is marked (a new user saw every box red)
    prices.nth(0).blur()
    expect(dialog.locator("[data-test=reward-tier-points]")).to_contain_text("会员价为小于兑换积分的整数")
    danger = "rgb(245, 108, 108)"
    shadows = [prices.nth(n).evaluate("e => getComputedStyle(e.parentElement).boxShadow") for n in range(tiered)]
    assert [danger in shadow for shadow in shadows] == [True] + [False] * (tiered - 1), shadows
    for n in range(tiered):
        prices.nth(n).fill("8")
    expect(dialog.locator("[data-test=tier-price-inversion]")).to_have_count(0)
    dialog.get_by_label("库存（件）").fill("20")
    dialog.get_by_label("每人限兑（件）").fill("1")
    dialog.locator("[data-test=reward-period]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="每月").click()
    expect(page.locator(".el-select-dropdown:visible")).to_have_count(0)
    dialog.get_by_label("商品详情").fill("兑换后立即发到我的优惠券")
    assert unlabelled_inputs(page) == []
    console.shot("reward-create")
    page.locator("[data-test=reward-save]").click()

    row = page.locator("[data-test=rewards] tr", has_text=name)
    expect(row.locator("[data-test=reward-stock]")).to_have_text("20 / 20")
    listed = site.api("GET", "/v1/mall/rewards?limit=100")["items"]
    (made,) = [item for item in listed if item["name"] == name]
    assert (made["kind"], made["template_id"]) == ("coupon", coupon["template_id"])
    assert (made["points"], made["cash_fen"]) == (10, 0)
    assert list(made["tier_points"].values()) == [8] * tiered
    assert (made["stock"], made["per_member_limit"], made["limit_period"], made["tiers"]) == (20, 1, "month", [])
    expect(row.locator("[data-test=reward-price]")).to_have_text("10 积分")
    expect(row.locator("[data-test=reward-status]")).to_have_text("在售")
    console.shot("reward-created")

    status, tokens = send("POST", f"{site.base}/v1/auth/member-token", site.credentials["member"])  # the demo member
    assert status == 200, tokens
    phone = open_as(mobile, site, tokens, "/mall")
    card = phone.locator("[data-test=reward-card]", has_text=name)
    expect(card.locator("[data-test=reward-price]")).to_contain_text("8 积分会员价，原价 10 积分")  # their tier's price
    card.click()
    exchange_on(phone)
    expect(phone.locator("[data-test=order-status]")).to_have_text("已完成")  # a coupon is issued at once
    orders = me_api(site, tokens["access_token"], "/v1/me/mall/orders")["items"]
    (order,) = [item for item in orders if item["reward_id"] == made["reward_id"]]
    assert (order["coupon_code"] is not None, order["points"]) == (True, 8)
    expect(phone.locator("[data-test=order-coupon]")).to_contain_text(order["coupon_code"])
    mine = me_api(site, tokens["access_token"], "/v1/me/coupons?status=available&limit=100")["items"]
    assert order["coupon_code"] in {coupon["code"] for coupon in mine}
    mobile.shot("demo-member-exchanged-coupon")

    page.reload()
    expect(row.locator("[data-test=reward-stock]")).to_have_text("19 / 20")
    ranked = site.api("GET", "/v1/mall/rewards/ranking?limit=5")["items"]  # 兑换排行, as the API ranks them
    assert made["reward_id"] in {
        item["reward_id"] for item in site.api("GET", "/v1/mall/rewards/ranking?limit=50")["items"]
    }
    expect(page.locator("[data-test=ranked-reward]")).to_have_count(len(ranked))
    expect(page.locator("[data-test=ranked-reward]").first).to_contain_text(
        f"1. {ranked[0]['name']} · {ranked[0]['sold']} 件"
    )
    row.get_by_role("button", name="补货").click()
    dialog = page.get_by_role("dialog", name=f"补货：{name}")
    expect(dialog.locator("[data-test=restock-now]")).to_have_text("19")
    dialog.get_by_label("补货数量").fill("6")
    console.shot("restock")
    dialog.locator("[data-test=restock-save]").click()
    expect(row.locator("[data-test=reward-stock]")).to_have_text("25 / 26")
    assert site.api("GET", f"/v1/mall/rewards/{made['reward_id']}")["stock"] == 25

    row.get_by_role("button", name="编辑").click()
    dialog = page.get_by_role("dialog", name=f"编辑：{name}")
    expect(dialog.get_by_label("所需积分（每件）")).to_have_value("10")
    dialog.get_by_label("所需积分（每件）").fill("12")
    page.locator("[data-test=reward-save]").click()
    expect(row.locator("[data-test=reward-price]")).to_have_text("12 积分")
    edited = site.api("GET", f"/v1/mall/rewards/{made['reward_id']}")
    assert (edited["points"], edited["per_member_limit"], edited["stock"]) == (12, 1, 25)  # only the points changed

    row.get_by_role("button", name="停售").click()
    page.get_by_role("dialog").get_by_text("已下的订单不受影响").wait_for()  # said before it is done
    page.get_by_role("dialog").get_by_role("button", name="停售").click()
    expect(row.locator("[data-test=reward-status]")).to_have_text("已停售")
    assert site.api("GET", f"/v1/mall/rewards/{made['reward_id']}")["status"] == "stopped"
    page.get_by_role("button", name="English").click()
    expect(row.locator("[data-test=reward-status]")).to_have_text("Stopped")
    expect(row.locator("[data-test=reward-price]")).to_have_text("12 points")
    console.shot("rewards-english")
    page.get_by_role("button", name="中文").click()
    browsed = me_api(site, tokens["access_token"], "/v1/me/mall/rewards")["items"]
    assert made["reward_id"] not in {item["reward_id"] for item in browsed}
    console.shot("reward-stopped")


def test_staff_ship_an_order_mark_it_received_refund_it_and_cancel_another_with_the_points_back(
    site: Site, console: Screens
) -> None:
    tokens, member = shopper(site, "商城收件人", 1_000)
    cup = reward(site, f"保温杯·{secrets.token_hex(2)}", fulfilment="shipping", points=100, stock=10)
    shipped = exchange_as(site, tokens, {"reward_id": cup["reward_id"], "quantity": 1, "address": ADDRESS})
    kept = exchange_as(site, tokens, {"reward_id": cup["reward_id"], "quantity": 2, "address": ADDRESS})
    points = f"/v1/members/{member['member_id']}/points"
    assert site.api("GET", points)["available"] == 700

    page = log_in(console, site)
    page.locator("[data-menu=mall-orders]").click()
    expect(page).to_have_title(ORDERS_TITLE)
    page.locator("[data-test=order-status-filter]").get_by_text("待发货").click()
    row = page.locator("[data-test=orders] tr", has_text=shipped["order_id"])
    expect(row.locator("[data-test=order-status]")).to_have_text("待发货")
    expect(row).to_contain_text("李*")  # lists mask the address
    assert unlabelled_inputs(page) == []
    console.shot("orders-to-ship")

    row.get_by_role("button", name="详情").click()
    drawer = page.locator("[data-test=order-drawer]")
    expect(drawer.locator("[data-test=order-address]")).to_contain_text(ADDRESS["address"])  # whole, with pii:read
    drawer.get_by_label("运单号").fill("SF2026113099")
    assert unlabelled_inputs(page) == []
    console.shot("order-to-ship")
    drawer.locator("[data-test=ship]").click()
    expect(drawer.locator("[data-test=order-drawer-status]")).to_have_text("已发货")
    expect(drawer.locator("[data-test=order-shipment]")).to_have_text("顺丰速运 SF2026113099")
    answer = site.api("GET", f"/v1/mall/orders/{shipped['order_id']}")
    assert (answer["status"], answer["shipment"]["tracking_no"]) == ("shipped", "SF2026113099")
    assert me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{shipped['order_id']}")["status"] == "shipped"

    drawer.locator("[data-test=complete]").click()
    expect(drawer.locator("[data-test=order-drawer-status]")).to_have_text("已完成")
    drawer.get_by_label("售后退款原因（会员可见）").fill("杯盖破损，退货退积分")
    drawer.locator("[data-test=refund-order]").click()
    page.get_by_role("dialog", name="请确认").get_by_role("button", name="售后退款").click()
    expect(drawer.locator("[data-test=order-drawer-status]")).to_have_text("已退款")
    expect(drawer.locator("[data-test=order-history]")).to_contain_text("杯盖破损，退货退积分")
    refunded = site.api("GET", f"/v1/mall/orders/{shipped['order_id']}")
    assert (refunded["status"], refunded["points_held"]) == ("refunded", 0)
    assert [step["action"] for step in refunded["history"]] == ["place", "ship", "complete", "refund"]
    assert site.api("GET", points)["available"] == 800
    expect(drawer.locator("[data-test=order-address]")).to_contain_text(ADDRESS["address"])  # still whole
    console.shot("order-refunded")

    page.goto(f"{site.base}/console/#/mall/orders?order={kept['order_id']}")
    drawer.get_by_label("取消原因（会员可见）").fill("缺货，与会员协商取消")
    drawer.locator("[data-test=cancel-order]").click()
    page.get_by_role("dialog", name="请确认").get_by_role("button", name="取消订单").click()
    expect(drawer.locator("[data-test=order-drawer-status]")).to_have_text("已取消")
    assert site.api("GET", points)["available"] == 1_000  # every point back
    member_view = me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{kept['order_id']}")
    assert (member_view["status"], member_view["history"][-1]["why"]) == ("cancelled", "缺货，与会员协商取消")
    console.shot("order-cancelled")

    # what the platform wrote on the history reads in English too, what staff wrote as they wrote it
    assert [step["why_en"] for step in refunded["history"]][1:] == ["Shipped: 顺丰速运 SF2026113099", "Delivered", None]
    page.keyboard.press("Escape")
    page.get_by_role("button", name="English").click()
    page.goto(f"{site.base}/console/#/mall/orders?order={shipped['order_id']}")
    history = drawer.locator("[data-test=order-history]")
    expect(history).to_contain_text("Shipped: 顺丰速运 SF2026113099")
    expect(history).to_contain_text("杯盖破损，退货退积分")
    expect(history).not_to_contain_text("已发货")
    console.shot("order-history-english")


def test_a_cashier_verifies_the_pickup_code_a_member_shows_and_the_member_sees_the_order_completed(
    site: Site, console: Screens, mobile: Screens
) -> None:
    tokens, member = shopper(site, "到店自提", 500)
    bag = reward(site, f"帆布袋·{secrets.token_hex(2)}", points=80, stock=10)
    elsewhere = exchange_as(site, tokens, {"reward_id": bag["reward_id"], "quantity": 1, "pickup_store_id": "BJ-001"})

    phone = open_as(mobile, site, tokens, f"/mall/rewards/{bag['reward_id']}")
    expect(phone.locator("[data-test=store-SH-001]")).to_contain_text("我的门店")
    exchange_on(phone)
    shown = phone.locator("[data-test=pickup-code]")
    expect(shown).to_have_text(re.compile(r"^\d{4} \d{4} \d{4} \d{4}$"))
    orders = me_api(site, tokens["access_token"], "/v1/me/mall/orders")["items"]
    (here,) = [order for order in orders if order["order_id"] != elsewhere["order_id"]]
    code = me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{here['order_id']}")["pickup_code"]
    assert shown.inner_text().replace(" ", "") == code
    mobile.shot("member-shows-pickup-code")

    page = log_in(console, site, "cashier")  # the demo cashier, at SH-001
    page.goto(f"{site.base}/console/#/counter")
    counter = page.locator("[data-test=counter-pickup]")
    page.get_by_label("积分商城提货码").fill(shown.inner_text())  # as shown, spaces and all
    counter.locator("[data-test=pickup-verify]").click()
    expect(counter.locator("[data-test=pickup-verified]")).to_contain_text(f"核销成功：请交付「{bag['name']}」× 1")
    expect(counter.locator("[data-test=pickup-verified]")).to_contain_text("会员 到店自提 · ")  # whose, by name
    expect(counter.locator("[data-test=pickup-verified]")).to_contain_text("门店 上海静安旗舰店")
    assert unlabelled_inputs(page) == []
    console.shot("counter-pickup-verified")
    verified = site.api("GET", f"/v1/mall/orders/{here['order_id']}")
    assert (verified["status"], verified["history"][-1]["action"]) == ("completed", "verify")

    page.get_by_label("积分商城提货码").fill(code)  # the same code again: nothing to hand over
    counter.locator("[data-test=pickup-verify]").click()
    expect(counter.locator("[data-test=pickup-failure]")).to_have_text("该提货码已核销过，不能重复提货")
    other = me_api(site, tokens["access_token"], f"/v1/me/mall/orders/{elsewhere['order_id']}")["pickup_code"]
    page.get_by_label("积分商城提货码").fill(other)
    counter.locator("[data-test=pickup-verify]").click()
    expect(counter.locator("[data-test=pickup-failure]")).to_have_text("该订单须在 BJ-001 提货")
    assert site.api("GET", f"/v1/mall/orders/{elsewhere['order_id']}")["status"] == "ready_for_pickup"
    console.shot("counter-pickup-refused")

    phone.reload()
    expect(phone.locator("[data-test=order-status]")).to_have_text("已完成")
    expect(phone.locator("[data-test=pickup]")).to_have_count(0)  # the code is spent
    expect(phone.locator("[data-test=order-history]")).to_contain_text("门店核销")
    mobile.shot("member-sees-completed")

    page.goto(f"{site.base}/console/#/members/{member['member_id']}")
    page.get_by_role("tab", name="积分商城").click()
    rows = page.locator("[data-test=member-mall-rows] tr", has_text=bag["name"])
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="已完成")).to_have_count(1)
    expect(rows.filter(has_text="待提货")).to_have_count(1)
    expect(rows.filter(has_text="已完成")).to_contain_text("上海静安旗舰店 自提")  # by name, where the cashier may
    expect(rows.filter(has_text="待提货")).to_contain_text("BJ-001 自提")  # list the store (a walkthrough)
    console.shot("member-mall-orders")

    page.locator("[data-menu=mall-orders]").click()  # a cashier's list is their store's
    expect(page.locator("[data-test=order-store-filter]")).to_contain_text("SH-001")
    listed = page.locator("[data-test=orders] tr", has_text=here["order_id"])
    expect(listed).to_contain_text("已完成")
    expect(listed.locator("[data-test=order-member]")).to_have_text(f"到店自提 · {member['member_no']}")  # not an id
    expect(page.locator("[data-test=orders] tr", has_text=elsewhere["order_id"])).to_have_count(0)
    console.shot("cashier-orders")


def test_marketing_uploads_a_reward_s_pictures_and_members_see_them_from_the_platform_s_own_origin(
    site: Site, console: Screens, mobile: Screens
) -> None:
    """Pictures were links typed one a line, so a shop with no web host had none. Now they are uploaded, checked by
    their bytes, published under /media/ and shown on the rewards list and the member pages."""
    name = f"保温杯·{secrets.token_hex(2)}"
    page = log_in(console, site, "marketing")
    page.locator("[data-menu=mall]").click()
    page.locator("[data-test=reward-create]").click()
    dialog = page.get_by_role("dialog", name="新建积分商品")
    dialog.get_by_label("商品名称").fill(name)
    dialog.get_by_label("所需积分（每件）").fill("10")
    dialog.get_by_label("库存（件）").fill("5")

    files = dialog.locator("[data-test=picture-file]")
    files.set_input_files([{"name": "fake.png", "mimeType": "image/png", "buffer": b"<html>not a picture</html>"}])
    expect(page.locator(".el-message--error")).to_contain_text("fake.png 无法作为图片读取")
    expect(dialog.locator("[data-test=reward-picture]")).to_have_count(0)
    red, blue = png((200, 40, 40), 64), png((40, 40, 200), 64)
    files.set_input_files([{"name": "red.png", "mimeType": "image/png", "buffer": red},
                           {"name": "blue.png", "mimeType": "image/png", "buffer": blue}])  # fmt: skip
    pictures = dialog.locator("[data-test=reward-picture]")
    expect(pictures).to_have_count(2)
    pictures.nth(1).get_by_role("button", name="第 2 张前移").click()  # the blue one first
    expect(pictures.nth(0).locator("img")).to_have_attribute("src", re.compile(r"^/media/[0-9a-f]{32}-480\.jpg$"))
    assert _shown(pictures.nth(0).locator("img"))
    assert _shown(pictures.nth(1).locator("img"))
    photo = _photo_turned_a_quarter(page)  # as a phone writes it: 64 × 32 stored, EXIF says turn it, and where
    files.set_input_files([{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    expect(pictures).to_have_count(3)
    assert _shown(pictures.nth(2).locator("img"))
    turned = pictures.nth(2).locator("img").evaluate("(el) => [el.naturalWidth, el.naturalHeight]")
    assert turned == [32, 64]  # its thumbnail, turned upright
    large = large_photo(2000, 1200)  # 7 MB: over what the server takes, so the console makes it smaller first
    files.set_input_files([{"name": "large.png", "mimeType": "image/png", "buffer": large}])
    expect(pictures).to_have_count(4)
    assert _shown(pictures.nth(3).locator("img"))
    assert pictures.nth(3).locator("img").evaluate("(el) => [el.naturalWidth, el.naturalHeight]") == [480, 288]
    dialog.locator("[data-test=picture-link]").fill("https://127.0.0.1:9/gone.png")  # a link that shows nothing
    dialog.locator("[data-test=picture-link-add]").click()
    expect(pictures.nth(4).locator("[data-test=picture-missing]")).to_have_text("图片无法显示")  # said, not broken
    pictures.nth(4).get_by_role("button", name="删除第 5 张图片").click()
    more = [{"name": f"more-{n}.png", "mimeType": "image/png", "buffer": png((n * 40, 90, 90), 16)} for n in range(6)]
    files.set_input_files(more)  # 6 for the 5 places left
    expect(page.locator(".el-message--warning")).to_contain_text("最多 9 张，另外 1 张未上传")
    expect(pictures).to_have_count(9)
    for _ in range(5):
        pictures.nth(4).get_by_role("button", name="删除第 5 张图片").click()
    expect(pictures).to_have_count(4)
    assert unlabelled_inputs(page) == []
    console.shot("reward-pictures")
    page.locator("[data-test=reward-save]").click()

    row = page.locator("[data-test=rewards] tr", has_text=name)
    expect(row.locator("[data-test=reward-cover]")).to_be_visible()
    assert _shown(row.locator("[data-test=reward-cover]"))
    (made,) = [item for item in site.api("GET", "/v1/mall/rewards?limit=100")["items"] if item["name"] == name]
    assert made["images"][:2] == [f"/media/{rules.published_name(picture, 'image/png')}" for picture in (blue, red)]
    assert re.fullmatch(r"/media/[0-9a-f]{32}\.jpg", made["images"][2])
    assert re.fullmatch(r"/media/[0-9a-f]{32}\.jpg", made["images"][3])  # drawn again as a JPEG
    drawn_again = page.request.get(site.base + made["images"][3]).body()
    assert len(drawn_again) < len(large) // 10
    assert Image.open(io.BytesIO(drawn_again)).size == (1600, 960)  # at most 1,600 pixels a side
    published_photo = page.request.get(site.base + made["images"][2]).body()
    assert Image.open(io.BytesIO(published_photo)).getexif().get(0x0112) == 6  # its orientation kept
    assert b"31.2304" not in published_photo  # where it was taken
    assert published_photo.endswith(photo[-200:])  # its pixels as they were
    cover = made["images"][0]
    served = page.request.get(site.base + cover)
    assert (served.status, served.headers["content-type"], served.headers["x-content-type-options"]) == (
        200, "image/png", "nosniff")  # fmt: skip
    assert served.body() == blue
    small = page.request.get(site.base + rules.thumbnail_of(cover))
    assert (small.status, small.headers["content-type"]) == (200, "image/jpeg")
    assert page.request.get(site.base + "/media/" + "0" * 32 + ".png").status == 404
    console.shot("reward-with-pictures")

    status, tokens = send("POST", f"{site.base}/v1/auth/member-token", site.credentials["member"])  # the demo member
    assert status == 200, tokens
    phone = open_as(mobile, site, tokens, "/mall")
    card = phone.locator("[data-test=reward-card]", has_text=name)
    expect(card.locator("img")).to_have_attribute("src", rules.thumbnail_of(cover))  # a list shows thumbnails
    assert _shown(card.locator("img"))
    mobile.shot("mall-reward-picture")
    card.click()  # the reward's page: its pictures whole, a tap shows them full size
    phone.locator("[data-test=reward-picture]").first.click()
    preview = phone.locator(".van-image-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("img").first).to_have_attribute("src", cover)
    mobile.shot("mall-reward-picture-whole")
    preview.locator(".van-image-preview__close-icon").click()
    expect(preview).to_be_hidden()


def _photo_turned_a_quarter(page) -> bytes:
    """A JPEG the browser draws (64 × 32, green), with an EXIF block saying "turn it a quarter" and where it was taken,
    as a phone's camera writes them."""
    import base64

    from tests.unit.test_media_formats import exif, segment

    url = page.evaluate("""() => { const c = document.createElement('canvas'); c.width = 64; c.height = 32;
        const g = c.getContext('2d'); g.fillStyle = '#2a9d3a'; g.fillRect(0, 0, 64, 32); g.fillStyle = '#ffffff';
        g.fillRect(0, 0, 16, 32); return c.toDataURL('image/jpeg', 0.9) }""")
    drawn = base64.b64decode(url.split(",", 1)[1])
    return drawn[:2] + segment(0xE1, exif(6)) + drawn[2:]


def _shown(img) -> bool:
    """Whether the browser decoded the picture (a broken one has no natural width, and fails at once)."""
    img.scroll_into_view_if_needed()
    width = (
        "(el) => el.complete ? el.naturalWidth"
        " : new Promise((ok) => { el.addEventListener('load', () => ok(el.naturalWidth));"
        " el.addEventListener('error', () => ok(0)) })"
    )
    return bool(img.evaluate(width))
