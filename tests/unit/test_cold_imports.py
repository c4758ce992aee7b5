"""What a cold start of the purchase webhook imports: the membership service (its plans and their schemas, about
50 ms of CPU on the slow machine) only for a member who holds a card (``purchases.service.with_card_multiplier``)."""

import subprocess
import sys


def test_the_purchase_and_activity_routes_load_no_membership_service():
    code = "import sys; import chalicelib.purchases.api; print('chalicelib.membership.service' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
