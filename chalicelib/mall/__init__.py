"""The points mall (积分商城): rewards bought with points (and cash), their stock and per-member limits, and redemption
orders through payment, fulfilment, cancellation and after-sale refunds, on the ledger engine.

``rules`` is pure (terms, limits by period, the order's states, the books), ``service`` the mall's verbs on the engine
and the changes of orders as the API asks them, ``rewards`` the rewards' use cases, ``orders`` how orders read and
list, ``records`` the showcase and the orders' copies, ``jobs`` the release of unpaid orders, ``listeners`` the coupon
consumer, ``api`` the routes.
"""
