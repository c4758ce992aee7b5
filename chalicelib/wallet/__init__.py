"""Stored value (储值): wallets of principal (本金) and bonus (赠送金) on the ledger engine, top-up plans, partner
top-ups, payments and refunds, cash refunds by finance, and the daily statement of the float.

``rules`` is pure (books, splits, plans, the statement's arithmetic), ``service`` the wallet verbs on the engine,
``plans`` and ``statements`` their own use cases, ``listeners`` the statement's consumer, ``api`` the routes.
"""
