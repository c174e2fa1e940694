"""Raw content at rest: AES-GCM key ring, rotation and tamper detection."""

from __future__ import annotations

import pytest

from privacy.crypto import ContentKeyError, KeyRing, new_key


def test_seal_open_round_trip_and_context_binding():
    ring = KeyRing.from_strings([new_key()])
    sealed = ring.seal("Maria Garcia, +44 7700 900123", context=b"item:1")
    assert b"Maria" not in sealed
    assert ring.open(sealed, context=b"item:1") == "Maria Garcia, +44 7700 900123"
    with pytest.raises(ContentKeyError):
        ring.open(sealed, context=b"item:2")


def test_rotation_reads_old_values_and_writes_with_the_new_key():
    old, new = new_key(), new_key()
    before = KeyRing.from_strings([old]).seal("secret")
    rotated = KeyRing.from_strings([new, old])
    assert rotated.open(before) == "secret"
    after = rotated.seal("secret")
    assert KeyRing.sealed_key_id(after) == rotated.current_id != KeyRing.sealed_key_id(before)
    with pytest.raises(ContentKeyError, match="no key"):
        KeyRing.from_strings([new]).open(before)


def test_tampering_is_detected_and_bad_keys_refused():
    ring = KeyRing.from_strings([new_key()])
    sealed = bytearray(ring.seal("hello"))
    sealed[-1] ^= 1
    with pytest.raises(ContentKeyError, match="authentication"):
        ring.open(bytes(sealed))
    with pytest.raises(ValueError):
        KeyRing.from_strings(["c2hvcnQ"])
    with pytest.raises(ValueError):
        KeyRing.from_strings([])
