"""Tiers (会员等级) and growth value (成长值): programmes, evaluation, upgrades at once, nightly reviews."""
