"""Which versions of the agreements bind members, and what a member still owes: pure rules."""

from chalicelib.agreements.model import Kind, Version, binding, current, due, missing, stale

T, P = Kind.TERMS, Kind.PRIVACY
PUBLISHED = [Version(T, 1, True), Version(P, 1, True), Version(P, 2, True), Version(P, 3, False), Version(T, 2, False)]


def test_the_newest_version_is_current_and_the_newest_requiring_acceptance_binds():
    assert {kind: v.version for kind, v in current(PUBLISHED).items()} == {T: 2, P: 3}
    assert binding(PUBLISHED) == {T: 1, P: 2}
    assert binding([Version(T, 1, False)]) == {T: 1}  # a first version binds, whatever it says


def test_a_member_owes_the_current_version_of_each_document_whose_binding_one_they_have_not_accepted():
    assert due(PUBLISHED, {}) == [Version(T, 2, False), Version(P, 3, False)]  # terms first, the current versions
    assert due(PUBLISHED, {T: 1, P: 1}) == [Version(P, 3, False)]
    assert due(PUBLISHED, {T: 1, P: 2}) == []  # a correction since asks no one
    assert due([], {}) == []


def test_joining_must_name_every_current_version_and_nothing_else():
    assert missing(PUBLISHED, [(T, 2), (P, 3)]) == []
    assert stale(PUBLISHED, [(T, 2), (P, 3)]) == []
    assert missing(PUBLISHED, [(T, 1), (P, 3)]) == [Version(T, 2, False)]  # an older version is not enough
    assert stale(PUBLISHED, [(T, 1), (P, 3), (P, 9)]) == [(P, 9), (T, 1)]
    assert missing([], []) == []
    assert stale([], [(T, 1)]) == [(T, 1)]
