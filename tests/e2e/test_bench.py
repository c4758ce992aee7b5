"""The bench scripts at a fraction of their size (a tenth, or less where their figures are ratios that hold at any
size): they still run, print their JSON, and meet the cost goals that are counts (DynamoDB requests per operation,
items read per item due), never times."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def bench(name, scale="0.1", *arguments):
    """The bench's figures at ``scale``, on the faster emulator (``FAST_EMULATOR`` in bench/harness.py): the tests
    assert counts, never times."""
    env = {**os.environ, "LOYALTY_BENCH_SCALE": scale, "LOYALTY_BENCH_FAST_EMULATOR": "1"}
    done = subprocess.run(
        [sys.executable, f"bench/{name}.py", *arguments], cwd=PROJECT, env=env,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def one_transaction(figure, most):
    return figure["by_operation"].get("TransactWriteItems") == 1 and figure["total"] <= most


def test_points_one_transaction_per_write_and_reads_that_grow_with_what_is_due():
    figures = bench("points", scale="0.04")
    assert one_transaction(figures["requests_per_redemption"], 2)  # a read of the account, then the transaction
    assert one_transaction(figures["requests_per_purchase"], 2)
    assert figures["requests_per_balance_read"]["total"] == 1
    assert figures["expiry_reads_per_due_lot"] <= 2.2  # a key from the keys-only index, then the account
    reconcile = figures["reconcile_requests_by_operation"]  # 50 accounts: read 100 at a time, checkpointed at once
    assert (reconcile["BatchGetItem"], reconcile["TransactWriteItems"]) == (
        1,
        2,
    )  # the checkpoints and the batch's count
    assert figures["reconcile_requests_per_account"] <= 1.7  # and a query of each account's new entries
    assert figures["reconcile_write_units_per_account"] <= 2.2
    assert set(figures["latency_ms"]) >= {"raw_get", "balance_read", "redemption", "purchase_webhook"}
    units = figures["write_units_per_purchase"]  # the goal: at most 10
    assert units["total"] <= 10, units
    assert [item["table"] for item in units["items"] if item["table"] in ("outbox", "ledger-accounts")] == [
        "ledger-accounts"
    ]  # the events ride on the account, within its kilobyte


def test_tiers_an_upgrade_is_one_transaction_and_reviews_read_the_members_due():
    figures = bench("tiers", scale="0.04")
    assert one_transaction(figures["requests_per_upgrading_purchase"], 3)
    assert figures["recalc_reads_per_due_member"] <= 2.2  # a key from the keys-only index, then the account


def test_coupons_one_transaction_per_write_path_and_expiry_reads_each_coupon_due_once():
    figures = bench("coupons", scale="0.04")
    for write, most in (("claim", 4), ("staff_issue", 3), ("reservation", 4), ("redemption", 5), ("reversal", 4),
                        ("gift_offer", 3), ("gift_acceptance", 5)):  # fmt: skip
        figure = figures[f"requests_per_{write}"]
        assert one_transaction(figure, most), write
        assert figure["transactions"] == 1, write
    assert "TransactWriteItems" not in figures["requests_per_eligibility"]["by_operation"]
    expiry = figures["expiry"]
    assert expiry["coupons_expired"] == expiry["coupons_due"]
    assert expiry["items_read_per_coupon_due"] <= 1.2  # the index holds each coupon's account


def test_mall_one_transaction_per_write_path_and_the_release_job_reads_the_orders_due():
    figures = bench("mall")
    writes = ("exchange", "exchange_points_and_cash", "exchange_picked_up_in_store", "wallet_payment",
              "partner_payment", "shipment", "cancellation", "cancellation_with_wallet_refund",
              "pickup_verification")  # fmt: skip
    for write in writes:
        figure = figures[f"requests_per_{write}"]
        assert one_transaction(figure, 4), write
        assert figure["transactions"] == 1, write
    published = figures["requests_per_picture_published"]  # S3's HEAD and ranged GET, its item, one transaction
    assert published["by_operation"] == {"GetItem": 1, "TransactWriteItems": 1}  # its item (withdrawn?), then it
    assert published["s3_by_method"] == {"HEAD": 1, "GET": 1}
    release = figures["release_job"]
    assert release["orders_due_and_released"] >= 20
    assert release["batch_reads_per_order_due"] == 1  # one read of its accounts per order due
    # and the run's own few reads: a query per partition (a day's shards; two days' when the run crosses midnight)
    assert release["read_requests"] <= release["orders_due_and_released"] + release["partitions_read"] + 6
    assert release["items_read_per_order_due"] <= 4.2  # its index item, then member, reward and order


def test_notifications_one_transaction_per_decision_and_per_send_and_the_release_reads_the_messages_due():
    figures = bench("notifications")
    assert one_transaction(figures["requests_per_message_decided_service_receipt"], 4)
    assert one_transaction(figures["requests_per_message_decided_marketing_with_cap"], 5)  # + the cap it counts on
    # + the claim before the provider is called, and the consents read again (withdrawn since the decision?)
    assert one_transaction(figures["requests_per_message_sent"], 5)
    assert figures["requests_per_inbox_read"]["total"] == 2
    assert figures["release_messages"] >= 10
    assert figures["release_items_read_per_message_due"] <= 2.5  # its index item, and the run's own few reads
    assert figures["pipeline_messages"] == 20


def test_wallet_one_read_and_one_transaction_per_write():
    figures = bench("wallet")
    for write in ("requests_per_top_up", "requests_per_wallet_payment", "requests_per_cash_refund"):
        assert one_transaction(figures[write], 2), write
    assert one_transaction(figures["requests_per_wallet_refund"], 3)  # the payment names the wallet it goes back to
    assert one_transaction(figures["requests_per_wallet_refund_naming_the_member"], 2)  # read together
    assert figures["requests_per_wallet_read"]["total"] == 1
    assert figures["requests_per_entries_page"]["total"] == 2  # a query per book
    assert figures["requests_per_store_statement"]["total"] == 2


def test_members_an_import_costs_a_fraction_of_a_request_per_row():
    figures = bench("members")  # run once: it is the members bench's only test
    assert figures["import"]["requests_per_row"] <= 0.07  # a marker read per 100 rows, a transaction per 20
    assert_prints_its_figures(figures)


def test_the_foundation_bench_prints_its_figures():
    figures = bench("foundation", "0.1", "--no-seed")
    assert_prints_its_figures(figures)
    assert figures["local_start_seconds_first_run"] > 0
    assert figures["local_stop_seconds_first_run"] > 0  # SIGTERM at once (the make run tests stop the demo data so)
    assert set(figures["local_stack_get_cpu_ms"]) == {"over_http", "in_process"}  # the stack's requests, two ways


def assert_prints_its_figures(figures):
    assert figures["raw_get_p50"] > 0
    assert all(figure["total"] >= 1 for key, figure in figures.items() if key.startswith("requests_per_"))


def test_a_fresh_process_makes_one_botocore_client_and_a_warm_purchase_two_requests():
    figures = bench("coldstart")
    assert figures["botocore_sessions"] == 1  # every table and transaction shares one session and client
    assert figures["botocore_clients"] == 1
    assert one_transaction(figures["requests_per_warm_purchase"], 2)
    assert figures["requests_per_first_purchase"]["total"] <= 6  # the partner, store, rules and programme caches
    assert all(figures[name] > 0 for name in ("import_app_cpu_ms", "import_frameworks_cpu_ms", "raw_get_cpu_ms"))
    assert set(figures["goals"]) == {"import_app_vs_frameworks", "first_request_cpu_ms", "warm_request_vs_raw_get"}
    split = figures["warm_request_split"]  # where a warm purchase's CPU goes: its two calls, and the rest
    assert set(split["dynamodb_client_cpu_ms"]) == {"GetItem", "TransactWriteItems"}
    assert all(ms > 0 for ms in split["dynamodb_client_cpu_ms"].values())
    assert split["rest_cpu_ms"] > 0


def test_the_local_stack_reloads_every_item_and_lists_a_sparse_tier_without_empty_pages():
    figures = bench("local_stack", "0.02", "--no-seed")  # 2,000 members' worth; the demo month is others' to start
    restart, listed = figures["restart"], figures["sparse_list"]
    assert (figures["seeded"], restart["seeded_gold_members"]) == (False, 0)
    # each member's profile, phone and member-number claims, import marker, and the statistics and points consumers'
    # markers (the import runs as a job: the audit log keeps the staff's import, not each row's registration)
    assert restart["items"] >= 6 * restart["members"]
    assert listed["members"] == restart["members"] // 1000 + restart["seeded_gold_members"]  # the demo data's too
    assert all(listed["members_per_page"][:-1])  # only the last page may be empty
    assert listed["distinct_members"] == listed["members"]
    assert {"cold_start_seconds", "idle_cpu_percent"} <= set(figures)
    assert {"reload_seconds", "items_per_second", "idle_cpu_percent", "stop_seconds"} <= set(restart)


def test_an_imported_row_costs_a_fraction_of_a_request_and_the_job_reaches_its_goal_on_aws_by_design():
    figures = bench("import", scale="0.02")  # 400 rows through the stack, 500 in-process
    local = figures["local"]
    assert local["imported"] + local["failed"] == local["rows"]  # every row of the file through the job
    assert figures["requests"]["import_requests_per_row"] <= 0.1  # markers read per 100 rows, a transaction per 20
    assert figures["requests"]["consumer_requests_per_event"] <= 0.1  # deliveries of up to 100 events
    assert figures["aws_by_design"]["rows_per_second"] >= 2000


def test_the_simulation_runs_from_a_bare_shell_and_prints_what_it_checked():
    """As `make bench` runs it: its own process, none of the tests' settings."""
    bare = {name: value for name, value in os.environ.items() if not name.startswith("LOYALTY_")}
    done = subprocess.run([sys.executable, "bench/simulate.py", "--seeds", "2", "--operations", "300"], cwd=PROJECT,
                          env=bare, capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert (figures["seeds"], figures["operations"]) == ([1, 2], 600)
    assert figures["entry_checks"] == figures["entries"] > 0
    assert figures["faults_injected"] == sum(figures["faults"].values()) > 0
    assert {"order", "pay", "coupon", "coupon-use", "coupon-return", "exchange", "order-move"} <= set(
        figures["effects_by_kind"]
    )  # every asset's changes took effect, the coupons' and the mall's too
    again = subprocess.run([sys.executable, "bench/simulate.py", "--seeds", "2", "--operations", "300"], cwd=PROJECT,
                           env={**bare, "PYTHONHASHSEED": "7"}, capture_output=True, text=True, timeout=600,
                           check=True)  # fmt: skip
    replayed = json.loads(again.stdout)
    assert {**replayed, "cpu_seconds": 0} == {**figures, "cpu_seconds": 0}  # a seed replays in another process too


def test_the_front_ends_load_nothing_from_another_host():
    """What a browser downloads is measured, and nothing the built apps load names another host (no CDN: the
    pages must work offline and in China); Vant's CSS names a CDN copy of its icon font, which the build drops."""
    figures = bench("web")
    assert all(figures[app]["entry_gzip_bytes"] > 0 for app in ("console", "m"))
    dist = PROJECT / "web" / "dist"
    foreign = re.compile(r"""(?:url\(\s*['"]?|(?:src|href)=['"])(?:https?:)?//""")
    for path in (*dist.rglob("*.css"), *dist.rglob("*.html")):
        assert not foreign.search(path.read_text(encoding="utf-8")), f"{path.relative_to(dist)} loads from another host"


def test_membership_one_transaction_per_renewal_and_use_and_the_nightly_job_reads_the_cards_due():
    figures = bench("membership")
    assert one_transaction(figures["requests_per_renewal"], 2)  # the member's account, then the write
    assert one_transaction(figures["requests_per_benefit_use"], 2)
    assert figures["requests_per_benefits_read"]["total"] <= 2
    # a sale at the counter: its till order's claim (a repeat is answered whatever changed since), the member, the
    # account, then the write
    assert one_transaction(figures["requests_per_counter_sale"], 4)
    nightly = figures["nightly"]
    assert nightly["reminded"] == nightly["cards_due"]
    assert nightly["items_read_per_card_due"] <= 2.5  # its index item, its account, and the run's own few reads
    loyal = figures["account_after_monthly_renewals"]  # five years of monthly renewals
    assert (loyal["payments"], loyal["payments_listed"]) == (60, 3)
    assert loyal["account_item_bytes"] < 2_048  # two write units' worth, not the fifteen sixty listed payments took


def test_birthday_gifts_read_the_months_birthdays_only_and_once():
    figures = bench("birthdays")
    run = figures["monthly_run"]
    assert run["given"] == run["born_this_month"]
    assert run["items_read_per_gift"] <= 2.5  # its index key, the member's profile, and the run's own few reads
    assert run["requests"] <= 3.5 * run["given"] + 30  # profile, account, transaction; 16 index pages, the run's own
    assert figures["rerun_planned"] == 0


def test_reports_read_the_same_whatever_the_members_and_the_consumer_folds_batches():
    figures = bench("reports", scale="0.004")  # 20 and 200 members: the same reads
    small, large = figures["at_small"], figures["at_large"]
    for name, figure in small.items():
        if name != "members":
            assert large[name]["requests"] == figure["requests"], name
    for span, days in (("1_month", 31), ("12_months", 365)):
        for report in ("members", "sales", "points"):
            assert large[f"{report}_{span}"]["items_read"] <= days * 4 + 20  # days × shards, never members
    consumer = figures["consumer"]
    assert consumer["requests_per_event_in_batches_of_100"] < consumer["requests_per_event_one_at_a_time"] / 2
    exported, checked = large["export_day"], large["check_day"]
    # A day's BI files: a query per part, a batch read per 100 purchases and per 100 members changed, a file per
    # entity and part: requests follow the rows, and each event landed is read once (and each purchase for lines).
    parts = 16  # exports.rules.LANDING_SHARDS: a query and up to two batch reads each, the stores and figures once
    assert exported["requests"] <= 3 * parts + 2 * exported["rows"] / 100 + 5
    assert exported["items_read"] <= 2 * exported["files_rows"]["purchases"] + exported["rows"]
    assert checked["requests"] <= 16 + 16 + 12 + 8 + 2 * 4 * 2  # the day's 16 parts and the next day's (the expiry
    # booked that night counts in the day), the stores, batch reads of the figures, a query per shard of each of the
    # liability's two breakdowns, and of the sales mix's two partitions at the chain and the store that traded


def test_gift_cards_a_sale_is_one_transaction_and_a_binding_one_post_after_its_try_is_counted():
    figures = bench("giftcards")
    assert one_transaction(figures["requests_per_sale_of_1"], 5)  # the claim, the cards, their batches, the books
    assert one_transaction(figures["requests_per_sale_of_5"], 5)  # five cards cost no request more than one
    binding = figures["requests_per_binding"]
    assert binding["by_operation"]["TransactWriteItems"] == 2  # the try counted first, then the card and the wallet
    assert binding["total"] <= 6
    assert figures["requests_per_batch_of_100"]["by_operation"]["TransactWriteItems"] == 2  # the cards, the batch
    assert figures["requests_per_card_lookup"]["total"] == 2
