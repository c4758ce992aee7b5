"""The points mall (积分商城): rewards bought with points (and cash), their stock and per-member limits, and redemption
orders through payment, fulfilment, cancellation and after-sale refunds, on the ledger engine.

``rules`` is pure (terms, limits by period, the order's states, the books), ``service`` the use cases on the engine,
``records`` the showcase and the orders' copies for lists, ``jobs`` the release of unpaid orders, ``listeners`` the
coupon issuing consumer, ``api`` the routes.
"""
