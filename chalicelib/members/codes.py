"""The member's code (会员码): what the member pages show as a QR code and barcode for a cashier to scan.

A code is ``66``, the member number (10 digits when the platform numbered the member, so 18 digits in all)
and a 6-digit one-time value derived from the member's id and the minute, keyed by the platform's lookup
key. It is refreshed every minute and accepted during its minute and the next, then never again, so a
photographed or printed code is useless once it expires, like the payment codes members know. Nothing is
stored: the number finds the member, the one-time value proves the code is current. Pure: the clock and
the key are passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PREFIX = "66"
STEP_SECONDS = 60
ACCEPTED_STEPS = 2  # the minute it was shown and the next
SHAPE = re.compile(rf"^{PREFIX}([0-9A-Za-z-]{{4,20}})(\d{{6}})$")
# A till code (门店验证码): six digits texted to the member's phone when they have no pages to show (an older member
# paying from stored value at the till), for a five-minute step and the next; its spends are keyed by the negative
# of its step, never a member code's minute
TILL_SHAPE = re.compile(r"^\d{6}$")
TILL_STEP_SECONDS = 300


@dataclass(frozen=True)
class MemberCode:
    code: str
    expires_at: datetime
    refresh_after: int  # seconds until the member pages should show the next code


def issue(member_id: str, member_no: str, now: datetime, key: str) -> MemberCode:
    """The code to show at ``now``."""
    step = _step(now)
    expires_at = datetime.fromtimestamp((step + ACCEPTED_STEPS) * STEP_SECONDS, UTC)
    refresh_after = (step + 1) * STEP_SECONDS - int(now.timestamp())
    return MemberCode(f"{PREFIX}{member_no}{_one_time(member_id, step, key)}", expires_at, max(refresh_after, 1))


def member_no_in(code: str) -> str | None:
    """The member number a code names, if it has a code's shape (it may still be expired or forged)."""
    match = SHAPE.match(code)
    return match.group(1) if match else None


def is_current(code: str, member_id: str, now: datetime, key: str) -> bool:
    """Whether ``code`` is one the member was shown within the accepted minutes."""
    return shown_at(code, member_id, now, key) is not None


def till_code(member_id: str, now: datetime, key: str) -> tuple[str, datetime]:
    """The till code to text the member at ``now``, and when it stops being accepted."""
    step = int(now.timestamp()) // TILL_STEP_SECONDS
    return _one_time(member_id, step, key, "till-code"), datetime.fromtimestamp((step + 2) * TILL_STEP_SECONDS, UTC)


def shown_at(code: str, member_id: str, now: datetime, key: str) -> int | None:
    """The minute (its number since the epoch) the member was shown ``code`` in, if it is one of the accepted minutes':
    what identifies a code whatever else its text says (its one-time value proves it, the number only finds the
    member), so a code spent once is known however it is written again. A till code texted to them: the negative of
    its five-minute step, this one's or the last's."""
    if TILL_SHAPE.match(code):
        step = int(now.timestamp()) // TILL_STEP_SECONDS
        texted = [-(step - back) for back in range(2)
                  if hmac.compare_digest(code, _one_time(member_id, step - back, key, "till-code"))]  # fmt: skip
        return texted[0] if texted else None
    match = SHAPE.match(code)
    if match is None:
        return None
    step = _step(now)
    shown = [step - back for back in range(ACCEPTED_STEPS)
             if hmac.compare_digest(match.group(2), _one_time(member_id, step - back, key))]  # fmt: skip
    return shown[0] if shown else None


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _one_time(member_id: str, step: int, key: str, purpose: str = "member-code") -> str:
    digest = hmac.new(key.encode(), f"{purpose}:{member_id}:{step}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def lifetime() -> timedelta:
    """How long a code may be accepted: a till code's two steps (a member code's two minutes are within them)."""
    return timedelta(seconds=TILL_STEP_SECONDS * 2)
