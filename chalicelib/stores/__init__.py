"""Stores (门店): the places members register at and buy in; staff, partners and purchases refer to them."""
