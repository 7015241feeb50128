"""Password hashing and link tokens."""

from webapp.security import hash_password, hash_token, new_token, verify_password


def test_password_hash_round_trip(ctx):
    stored = hash_password("s3cret-enough")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "s3cret-enough")
    assert not verify_password(stored, "wrong")
    assert not verify_password("not-a-hash", "s3cret-enough")


def test_tokens_are_random_and_stored_hashed():
    token, digest = new_token()
    other, _ = new_token()
    assert token != other and len(token) >= 40
    assert digest == hash_token(token) and token not in digest and len(digest) == 64


import pytest  # noqa: E402

from webapp.security import safe_next  # noqa: E402


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/events/1?x=2", "/events/1?x=2"),
        ("", "/"),
        (None, "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("events", "/"),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target, "/") == expected
