"""Purchases and refunds reported by partner systems, and the earn rules that turn them into points."""
