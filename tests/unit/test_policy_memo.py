"""The CSP of a page is computed once per body: a page served again from the cache is not hashed again."""

from __future__ import annotations

from iopgraph.http.security_headers import (
    MEMO_MAX_BYTES,
    PolicyMemo,
    content_security_policy,
    inline_script_hashes,
)

PAGE = b"<html><script>console.log('a')</script><script src='/x.js'></script></html>"
OTHER = b"<html><script>console.log('b')</script></html>"


def test_the_policy_is_the_one_computed_from_the_body() -> None:
    memo = PolicyMemo()
    expected = content_security_policy(inline_script_hashes(PAGE)).encode()
    assert memo.policy(PAGE) == expected
    assert memo.policy(bytes(bytearray(PAGE))) == expected  # an equal body, another object
    assert memo.policy(OTHER) == content_security_policy(inline_script_hashes(OTHER)).encode()
    assert memo.policy(OTHER) != expected


def test_the_same_body_is_hashed_once() -> None:
    memo = PolicyMemo()
    for _ in range(5):
        memo.policy(PAGE)
    assert memo.computed == 1
    memo.policy(OTHER)
    assert memo.computed == 2


def test_the_memo_is_bounded_in_entries_and_body_size() -> None:
    memo = PolicyMemo(entries=2)
    pages = [b"<script>%d</script>" % i for i in range(3)]
    for page in pages:
        memo.policy(page)
    memo.policy(pages[0])  # the oldest was dropped: computed again
    assert memo.computed == 4
    large = b"<script>1</script>" + b" " * MEMO_MAX_BYTES
    memo.policy(large)
    memo.policy(large)
    assert memo.computed == 6  # never kept
