"""Paid membership (付费会员卡): plans, cards bought and renewed once per payment, and benefits that are counted."""
