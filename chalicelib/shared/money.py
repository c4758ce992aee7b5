"""Money in whole fen, shared out."""

from __future__ import annotations

from fractions import Fraction


def in_proportion(amount: int, weights: list[int]) -> list[int]:
    """``amount`` over ``weights`` in proportion, in whole fen adding up exactly (largest remainders, ties to the
    earlier one); all of it on the first when the weights add up to nothing."""
    total = sum(weights)
    if total == 0:
        shares = [0] * len(weights)
        if shares:
            shares[0] = amount
        return shares
    exact = [Fraction(amount * weight, total) for weight in weights]
    shares = [int(share) for share in exact]
    left = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares
