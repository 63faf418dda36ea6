"""Capability tokens: signed, per-object grants to read or write without a Django account.

A token is made with ``django.core.signing`` under its own salt, so it cannot
be forged without ``SECRET_KEY`` and is never valid as another signed value of
the project. It names one object, one scope (``read`` or ``write``), an
optional expiry, and the object's token generation: revoking an object's
tokens increments the generation, which invalidates every token minted before.

A token never outlives its object, because every check first loads the object.
"""

import logging
import time
from dataclasses import dataclass

from django.core import signing

from shoutout.errors import ShoutOutError

logger = logging.getLogger("shoutout.tokens")

SALT = "shoutout.capability-token"
READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)


class TokenError(ShoutOutError):
    """A capability token that cannot be used; ``code`` names the reason."""

    code = "token_invalid"


@dataclass(frozen=True)
class Capability:
    """The object, scope, expiry and generation that a valid token grants."""

    object_id: str
    scope: str
    expires_at: float | None
    generation: int

    def allows(self, scope: str) -> bool:
        return self.scope == WRITE or scope == READ


def mint(object_id: str, scope: str, generation: int, expires_at: float | None = None) -> str:
    """Return a token granting ``scope`` on ``object_id``; ``expires_at`` is a Unix time or None."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    payload = {"o": object_id, "s": scope, "g": generation}
    if expires_at is not None:
        payload["e"] = round(expires_at, 3)
    return signing.dumps(payload, salt=SALT, compress=False)


def _refuse(code, message, object_id):
    # The token itself is never logged: it is a bearer secret.
    logger.warning("Capability token rejected for object %s: %s", object_id, code)
    return TokenError(message, code=code)


def verify(token, object_id: str, scope: str, generation: int, now: float | None = None) -> Capability:
    """Return the token's capability if it grants ``scope`` on ``object_id``; raise ``TokenError``.

    ``generation`` is the object's current token generation.
    """
    now = time.time() if now is None else now
    if not isinstance(token, str) or not token:
        raise _refuse("token_invalid", "The capability token is missing or not a string.", object_id)
    try:
        payload = signing.loads(token, salt=SALT)
        expires_at = None if payload.get("e") is None else float(payload["e"])
        capability = Capability(payload["o"], payload["s"], expires_at, int(payload["g"]))
    except (signing.BadSignature, AttributeError, KeyError, TypeError, ValueError):
        raise _refuse("token_invalid", "The capability token is malformed or its signature is invalid.", object_id)

    if capability.object_id != object_id:
        raise _refuse("token_wrong_object", "The capability token was issued for another object.", object_id)
    if capability.expires_at is not None and capability.expires_at <= now:
        raise _refuse("token_expired", "The capability token has expired; ask a writer for a new one.", object_id)
    if capability.generation != generation:
        raise _refuse("token_revoked", "The capability token was revoked; ask a writer for a new one.", object_id)
    if not capability.allows(scope):
        raise _refuse(
            "token_wrong_scope", f"The capability token grants {capability.scope}, not {scope}.", object_id
        )
    return capability
