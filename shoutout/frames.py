"""Server frames of the WebSocket protocol, built as JSON text.

State and message frames embed the payload's JSON text as it was validated and
stored, so fan-out encodes each frame once per update, not once per receiver.
Only ``snapshot``, ``state`` and ``message`` frames carry an ``update_id``;
control frames never do, so a client can take any ``update_id`` it receives as the
object's position in its sequence.
"""

import json

# ASCII escapes keep a lone surrogate that a client sent in an id or ref
# ("\ud800") encodable when an error frame echoes it back. Payloads are
# embedded as their validated JSON text, so this does not change them.
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def _head(frame_type, object_id):
    return f'{{"type":"{frame_type}","id":{_encode(object_id)}'


def state(object_id: str, update_id: int, data_json: str) -> str:
    return f'{_head("state", object_id)},"update_id":{update_id},"data":{data_json}}}'


def message(object_id: str, update_id: int, payload_json: str) -> str:
    return f'{_head("message", object_id)},"update_id":{update_id},"payload":{payload_json}}}'


def snapshot(snap, ref=None) -> str:
    ref_part = "" if ref is None else f',"ref":{_encode(ref)}'
    return (
        f'{_head("snapshot", snap.object_id)},"update_id":{snap.update_id},'
        f'"expires_at":{snap.expires_at:.3f},"data":{snap.data_json}{ref_part}}}'
    )


def control(frame_type: str, object_id=None, ref=None, **fields) -> str:
    """Return a control frame (``subscribed``, ``ack``, ``expired``, ``revoked``, ``pong``, ...)."""
    frame = {"type": frame_type}
    if object_id is not None:
        frame["id"] = object_id
    frame.update(fields)
    if ref is not None:
        frame["ref"] = ref
    return _encode(frame)


def error(code: str, message_text: str, object_id=None, ref=None, **fields) -> str:
    """Return an error frame with its stable ``code`` and a human ``message``."""
    return control("error", object_id, ref, code=code, message=message_text, **fields)
