"""Agreements (会员协议与隐私政策): the membership agreement and the privacy policy members accept.

An administrator publishes each document in numbered versions that never change once published. A version that
``requires_acceptance`` (a material change) is the one every member must have accepted; a version that does not
(a typo fixed, a phone number changed) is shown without asking anyone again. Joining online means accepting the
current versions: an SMS-code log-in names them, or is refused before its code is used. A member who has not
accepted what binds them (registered at a till, imported, or before a new version) is asked on their pages; each
acceptance is kept as proof, with when and how it was given.

``model`` is pure (kinds, which versions bind, what a member still owes), ``records`` the tables, ``service`` the
use cases, ``api`` the routes.
"""
