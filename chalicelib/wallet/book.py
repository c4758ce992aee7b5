"""The wallet's books, registered with the ledger engine when this module is imported: the member's principal
(本金) and bonus (赠送金), and a wallet payment's refundable amounts (``rules`` holds their pure rules). Registered,
they are reconciled nightly with every other book and their drift is alarmed (``WalletPrincipalDrift`` ...).
"""

from __future__ import annotations

from chalicelib.ledger.registry import register_book
from chalicelib.wallet.rules import BOOKS

for book in BOOKS.values():
    register_book(book)
