"""Object ids, update ids and channel-layer group names."""

import hashlib
import re
import secrets

# 16 random bytes: 128 bits, 22 characters of URL-safe base64.
OBJECT_ID_BYTES = 16
OBJECT_ID_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")

# Largest integer that a JavaScript number represents exactly (2**53 - 1).
MAX_UPDATE_ID = 2**53 - 1

GROUP_PREFIX = "shoutout."
# Channel layers accept group names of ASCII letters, digits, "-", "_" and "."
# shorter than 100 characters.
_GROUP_SAFE_RE = re.compile(r"[A-Za-z0-9_-]{1,80}")


def new_object_id() -> str:
    """Return a new random, URL-safe object id of 128 bits."""
    return secrets.token_urlsafe(OBJECT_ID_BYTES)


def is_valid_object_id(value) -> bool:
    """Return whether ``value`` has the shape of an object id (not whether it exists)."""
    return isinstance(value, str) and OBJECT_ID_RE.fullmatch(value) is not None


def is_valid_update_id(value) -> bool:
    """Return whether ``value`` is an integer update id from 1 to 2**53 - 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return 1 <= value <= MAX_UPDATE_ID


def group_name(object_id: str) -> str:
    """Return the channel-layer group of an object.

    This is the only place that builds group names. Any string maps to a valid
    name: ids in the URL-safe alphabet are used as they are, anything else is
    replaced by its SHA-256 digest, so two different ids never share a group.
    """
    if _GROUP_SAFE_RE.fullmatch(object_id):
        return f"{GROUP_PREFIX}o.{object_id}"
    digest = hashlib.sha256(object_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{GROUP_PREFIX}h.{digest}"
