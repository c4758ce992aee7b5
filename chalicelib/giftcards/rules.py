"""Gift cards' pure rules: card numbers and their check digit, PINs, what a batch may hold under the rules for
anonymous single-purpose prepaid cards (单用途商业预付卡: an anonymous card holds at most 1,000 CNY and is valid at
least three years; a sale of cards worth 10,000 CNY or more needs the buyer's real name, which a till here does not
take), and a card's status as members and staff read it."""

from __future__ import annotations

import calendar
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date

NUMBER_DIGITS = 16  # printed on the card's face, scanned or typed at the till
PIN_DIGITS = 8  # under the scratch panel (卡密): with the number, it binds the card
MAX_FACE_FEN = 100_000  # an anonymous card holds at most 1,000 CNY
MIN_VALID_MONTHS = 36  # an anonymous card is valid at least three years from its sale
MAX_VALID_MONTHS = 120
MAX_CARDS_PER_BATCH = 1_000
MAX_CARDS_PER_SALE = 20
REAL_NAME_SALE_FEN = 1_000_000  # a sale of cards worth this much or more needs the buyer's real name (实名)


def check_digit(digits: str) -> str:
    """The Luhn check digit of ``digits``: a digit mistyped or two swapped at the till is caught before any read."""
    total = 0
    for n, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if n % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def valid_number(number: str) -> bool:
    """A card number as printed: 16 digits whose last is the check digit of the others."""
    return (
        len(number) == NUMBER_DIGITS
        and number.isascii()
        and number.isdigit()
        and check_digit(number[:-1]) == number[-1]
    )


def new_number() -> str:
    """A random card number (never starting with 0, so a spreadsheet keeps its digits)."""
    body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(NUMBER_DIGITS - 2))
    return body + check_digit(body)


def new_pin() -> str:
    """Eight digits, never starting with 0 (a spreadsheet opening the printer's file would drop it)."""
    return str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(PIN_DIGITS - 1))


def normalised_number(typed: str) -> str:
    """A card number as typed or scanned: full-width digits as digits (a Chinese keyboard's), spaces and dashes
    dropped (4-4-4-4 groups on the card)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", typed) if ch not in " -")


def normalised_pin(typed: str) -> str:
    return unicodedata.normalize("NFKC", typed).strip()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class CardState:
    """What a card's record says of it."""

    batch_status: str  # "active" | "voided"
    sold_on: date | None
    valid_until: date | None
    redeemed: bool


def status_of(card: CardState, today: date) -> str:
    """``unsold`` (printed, not sold; ``voided`` when its batch's unsold cards were voided), ``active`` (sold, to be
    bound), ``redeemed`` (bound to a member's stored value) or ``expired`` (sold, not bound by its last day)."""
    if card.redeemed:
        return "redeemed"
    if card.sold_on is None:
        return "voided" if card.batch_status == "voided" else "unsold"
    if card.valid_until is not None and today > card.valid_until:
        return "expired"
    return "active"
