"""What a cold start of the purchase webhook imports: the membership service (its plans and their schemas, about
50 ms of CPU on the slow machine) only for a member who holds a card (``purchases.service.with_card_multiplier``);
the coupons', the mall's and the wallet's rules (their books, about 30 ms) only when an account read holds one of
their books (``ledger.registry``); the cards' rules (about 15 ms) only for a member whose account holds a card or a
counted use (``membership.book``)."""

import subprocess
import sys


def test_the_purchase_and_activity_routes_load_no_membership_service():
    code = "import sys; import chalicelib.purchases.api; print('chalicelib.membership.service' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_ledger_imports_other_domains_books_only_when_it_meets_one():
    others = ("chalicelib.coupons.rules", "chalicelib.mall.rules", "chalicelib.wallet.rules")
    code = (
        "import sys; import chalicelib.purchases.api; from chalicelib.ledger.registry import ledger\n"
        f"books = ledger().books; books['points']; books['tier']; books['growth']; books['membership']\n"
        f"print(*[name in sys.modules for name in {others!r}])\n"
        "books['wallet-principal']\n"
        f"print(*[name in sys.modules for name in {others!r}])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"] * 3 + ["True"] * 3


def test_a_purchase_for_a_member_without_a_card_loads_no_card_rules():
    code = (
        "import sys; import chalicelib.purchases.api; from chalicelib.ledger.registry import ledger\n"
        "books = ledger().books; cards = books['membership']; uses = books['benefit-uses']\n"
        "cards.due(cards.load(None), None); uses.due(uses.load(None), None)\n"
        "print('chalicelib.membership.rules' in sys.modules)\n"
        "cards.load({'cards': {}, 'trials': ['p1'], 'held': 0})\n"
        "print('chalicelib.membership.rules' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
