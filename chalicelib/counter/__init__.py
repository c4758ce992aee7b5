"""Serving a member at the counter: what a cashier sees once a member is found (any member of the chain)."""
