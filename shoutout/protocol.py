"""Parsing of client frames of the WebSocket protocol.

The protocol is documented frame by frame in ``docs/websocket-protocol.md``.
Parsing never raises anything but :class:`ProtocolError`, whose code and
message go back to the client in an error frame.
"""

import json
from dataclasses import dataclass

from shoutout.errors import ShoutOutError

_MISSING = object()

# Client frame types and the fields each one requires besides "type".
CLIENT_FRAMES = {
    "subscribe": ("id",),
    "unsubscribe": ("id",),
    "update": ("id", "data"),
    "message": ("id", "payload"),
    "ping": (),
    "auth": ("token",),
}

MAX_REF_LENGTH = 128


class ProtocolError(ShoutOutError):
    """A client frame that cannot be understood."""

    code = "invalid_frame"


@dataclass(frozen=True)
class ClientFrame:
    type: str
    id: str | None = None
    ref: object = None
    value: object = None
    update_id: object = None
    token: str | None = None


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _clean_ref(frame):
    ref = frame.get("ref")
    if ref is None:
        return None
    if isinstance(ref, bool) or not isinstance(ref, (str, int)):
        raise ProtocolError("'ref' must be a string or an integer.")
    if isinstance(ref, str) and len(ref) > MAX_REF_LENGTH:
        raise ProtocolError(f"'ref' is longer than {MAX_REF_LENGTH} characters.")
    return ref


def parse(text: str) -> ClientFrame:
    """Parse one text frame into a :class:`ClientFrame`."""
    try:
        frame = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"The frame is not valid JSON: {exc}.", code="invalid_json") from exc
    if not isinstance(frame, dict):
        raise ProtocolError("A frame must be a JSON object with a 'type' field.")

    ref = _clean_ref(frame)
    frame_type = frame.get("type")
    if not isinstance(frame_type, str):
        raise ProtocolError("A frame must have a string 'type' field.", ref=ref)
    if frame_type not in CLIENT_FRAMES:
        known = ", ".join(CLIENT_FRAMES)
        raise ProtocolError(
            f"Unknown frame type {frame_type[:40]!r}; expected one of {known}.",
            code="unknown_type",
            ref=ref,
        )

    for field in CLIENT_FRAMES[frame_type]:
        if field not in frame:
            raise ProtocolError(f"A {frame_type!r} frame needs an {field!r} field.", ref=ref)
    object_id = frame.get("id")
    if "id" in CLIENT_FRAMES[frame_type] and not isinstance(object_id, str):
        raise ProtocolError("'id' must be a string.", code="invalid_id", ref=ref)

    token = frame.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError("'token' must be a string.", ref=ref)

    value = frame.get("data", frame.get("payload"))
    return ClientFrame(frame_type, object_id, ref, value, frame.get("update_id"), token)
