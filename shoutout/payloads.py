"""Validation and encoding of state and message payloads."""

import json
import math

from shoutout.conf import shoutout_settings
from shoutout.errors import InvalidPayload


def encode(value) -> str:
    """Return compact JSON text; raise ``InvalidPayload`` for values JSON cannot hold."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidPayload(f"The payload is not valid JSON: {exc}.", code="invalid_json") from exc


def measure_depth(value) -> int:
    """Return the nesting depth of a JSON value: 0 for a scalar, 1 for a flat list or object."""
    depth = 0
    level = [value]
    while level:
        containers = [v for v in level if isinstance(v, (dict, list))]
        if not containers:
            break
        depth += 1
        level = []
        for container in containers:
            level.extend(container.values() if isinstance(container, dict) else container)
    return depth


def _reject_non_finite(value):
    # json.dumps(allow_nan=False) catches floats; this gives a clearer message first.
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidPayload(
            f"The payload contains {value!r}, which JSON cannot represent; send null or a string.",
            code="invalid_json",
        )


def validate(value, *, field="data") -> str:
    """Check a payload against the size and depth limits and return its JSON text.

    ``field`` names the payload in error messages (``data`` for state,
    ``payload`` for messages).
    """
    _reject_non_finite(value)

    max_depth = shoutout_settings.MAX_PAYLOAD_DEPTH
    depth = measure_depth(value)
    if depth > max_depth:
        raise InvalidPayload(
            f"'{field}' is nested {depth} levels deep; the limit is {max_depth} "
            "(setting SHOUTOUT['MAX_PAYLOAD_DEPTH']).",
            code="payload_too_deep",
            field=field,
            limit=max_depth,
        )

    text = encode(value)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        # json.loads() turns an escaped lone surrogate ("\ud800") into a str
        # that UTF-8 cannot encode, so no frame or store could carry it.
        raise InvalidPayload(
            f"'{field}' contains the lone surrogate {exc.object[exc.start:exc.end]!r}, "
            "which UTF-8 cannot encode; send whole surrogate pairs or other text.",
            code="invalid_json",
            field=field,
        ) from exc
    max_bytes = shoutout_settings.MAX_PAYLOAD_BYTES
    if size > max_bytes:
        raise InvalidPayload(
            f"'{field}' is {size} bytes of JSON; the limit is {max_bytes} bytes "
            "(setting SHOUTOUT['MAX_PAYLOAD_BYTES']).",
            code="payload_too_large",
            field=field,
            limit=max_bytes,
        )
    return text
