"""Feedback (意见反馈): members write suggestions, complaints and praise from the member pages; customer service and
store managers read them in the back office, answer and close them.

``model`` is pure (categories, statuses, the daily limit), ``records`` the table, ``service`` the use cases,
``listeners`` the erasure of a member's words, ``api`` the routes.
"""
