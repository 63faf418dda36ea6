"""Capability tokens: minting, verification, refusal codes and their log lines."""

import json
import logging

import pytest
from django.conf import settings
from django.core import signing
from django.test import override_settings

from shoutout import tokens
from shoutout.ids import new_object_id
from shoutout.tokens import READ, SALT, WRITE, Capability, TokenError

OBJECT_ID = new_object_id()
OTHER_ID = new_object_id()
GENERATION = 3
NOW = 1_700_000_000.0


def mint(scope=WRITE, object_id=OBJECT_ID, generation=GENERATION, expires_at=None):
    return tokens.mint(object_id, scope, generation, expires_at)


def verify(token, scope=READ, object_id=OBJECT_ID, generation=GENERATION, now=NOW):
    return tokens.verify(token, object_id, scope, generation, now=now)


def refusal_code(token, **kwargs):
    with pytest.raises(TokenError) as refused:
        verify(token, **kwargs)
    return refused.value.code


def with_payload(token, **changes):
    """Return ``token`` with changed payload fields and its original signature."""
    payload = {**signing.loads(token, salt=SALT), **changes}
    encoded = signing.b64_encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return ":".join([encoded, *token.split(":")[1:]])


def with_signature_char_changed(token):
    head, _, signature = token.rpartition(":")
    replacement = "A" if signature[0] != "A" else "B"
    return f"{head}:{replacement}{signature[1:]}"


# Valid tokens.


def test_read_token_grants_read():
    capability = verify(mint(READ), scope=READ)

    assert capability == Capability(OBJECT_ID, READ, None, GENERATION)


def test_write_token_grants_write():
    capability = verify(mint(WRITE), scope=WRITE)

    assert capability.scope == WRITE


def test_write_token_also_reads():
    capability = verify(mint(WRITE), scope=READ)

    assert capability.allows(READ)


def test_token_with_expiry_is_valid_before_it():
    capability = verify(mint(expires_at=NOW + 60), now=NOW)

    assert capability.expires_at == NOW + 60


def test_expiry_is_rounded_to_milliseconds():
    capability = verify(mint(expires_at=NOW + 1.23456), now=NOW)

    assert capability.expires_at == round(NOW + 1.23456, 3)


def test_mint_rejects_unknown_scope():
    with pytest.raises(ValueError, match="scope must be one of read, write"):
        tokens.mint(OBJECT_ID, "admin", GENERATION)


# Refusals, each with its own code.


REFUSALS = {
    "tampered_signature": (lambda: with_signature_char_changed(mint()), {}, "token_invalid"),
    "tampered_scope": (lambda: with_payload(mint(READ), s=WRITE), {"scope": WRITE}, "token_invalid"),
    "tampered_object": (lambda: with_payload(mint(object_id=OTHER_ID), o=OBJECT_ID), {}, "token_invalid"),
    "garbage": (lambda: "not-a-token", {}, "token_invalid"),
    "empty_string": (lambda: "", {}, "token_invalid"),
    "none": (lambda: None, {}, "token_invalid"),
    "integer": (lambda: 12345, {}, "token_invalid"),
    "bytes": (lambda: mint().encode(), {}, "token_invalid"),
    "payload_without_fields": (lambda: signing.dumps({"o": OBJECT_ID}, salt=SALT), {}, "token_invalid"),
    "payload_not_an_object": (lambda: signing.dumps([OBJECT_ID, WRITE], salt=SALT), {}, "token_invalid"),
    "generation_not_a_number": (
        lambda: signing.dumps({"o": OBJECT_ID, "s": WRITE, "g": "x"}, salt=SALT), {}, "token_invalid"
    ),
    "other_object": (lambda: mint(object_id=OTHER_ID), {}, "token_wrong_object"),
    "expired": (lambda: mint(expires_at=NOW - 1), {}, "token_expired"),
    "expires_now": (lambda: mint(expires_at=NOW), {}, "token_expired"),
    "revoked_generation": (lambda: mint(generation=GENERATION - 1), {}, "token_revoked"),
    "read_token_for_write": (lambda: mint(READ), {"scope": WRITE}, "token_wrong_scope"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusal_code(case):
    make_token, verify_kwargs, code = REFUSALS[case]

    assert refusal_code(make_token(), **verify_kwargs) == code


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusal_is_http_403(case):
    make_token, verify_kwargs, _ = REFUSALS[case]

    with pytest.raises(TokenError) as refused:
        verify(make_token(), **verify_kwargs)

    assert refused.value.http_status == 403


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusal_logs_one_warning(case, caplog):
    make_token, verify_kwargs, code = REFUSALS[case]
    token = make_token()
    caplog.set_level(logging.DEBUG, logger="shoutout.tokens")

    with pytest.raises(TokenError):
        verify(token, **verify_kwargs)

    records = [record for record in caplog.records if record.name == "shoutout.tokens"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert code in records[0].getMessage()
    assert OBJECT_ID in records[0].getMessage()


# Cases whose token is a signed-looking string, so a log line could contain its signature.
SIGNED_REFUSALS = [
    name for name, (make_token, _, _) in REFUSALS.items()
    if isinstance(make_token(), str) and ":" in make_token()
]


@pytest.mark.parametrize("case", SIGNED_REFUSALS)
def test_refusal_log_omits_token(case, caplog):
    make_token, verify_kwargs, _ = REFUSALS[case]
    token = make_token()
    caplog.set_level(logging.DEBUG, logger="shoutout.tokens")

    with pytest.raises(TokenError):
        verify(token, **verify_kwargs)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged
    assert token.rpartition(":")[2] not in logged


def test_valid_token_logs_nothing(caplog):
    caplog.set_level(logging.DEBUG, logger="shoutout.tokens")

    verify(mint())

    assert [record for record in caplog.records if record.name == "shoutout.tokens"] == []


# Tokens signed by anything but ShoutOut's salt and the project's key.


def test_token_with_other_salt_is_refused():
    token = signing.dumps({"o": OBJECT_ID, "s": WRITE, "g": GENERATION}, salt="another-app", compress=False)

    assert refusal_code(token) == "token_invalid"


def test_value_signed_without_salt_is_refused():
    token = signing.dumps({"o": OBJECT_ID, "s": WRITE, "g": GENERATION})

    assert refusal_code(token) == "token_invalid"


def test_token_from_other_secret_key_is_refused():
    with override_settings(SECRET_KEY="another-project-secret-key-of-enough-length"):
        token = mint()

    assert refusal_code(token) == "token_invalid"


def test_token_stays_valid_after_key_rotation():
    token = mint()

    old_key = settings.SECRET_KEY

    with override_settings(SECRET_KEY="a-new-secret-key-of-enough-length", SECRET_KEY_FALLBACKS=[old_key]):
        capability = verify(token)

    assert capability.object_id == OBJECT_ID
