"""Coupons (优惠券): templates, issuing exactly once, sharded stock, the till's eligibility, reservation,
redemption and its reversal, expiry, voiding and the liability, on the ledger engine."""
