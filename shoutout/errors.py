"""Error codes shared by the REST API, the WebSocket protocol and the Python API.

Each code is stable and documented in ``docs/errors.md``; clients branch on the
code, people read the message.
"""

# Machine codes and the HTTP status of each in REST responses.
HTTP_STATUS = {
    "invalid": 400,
    "invalid_id": 404,
    "invalid_json": 400,
    "invalid_frame": 400,
    "unknown_type": 400,
    "binary_frame": 400,
    "payload_too_large": 413,
    "frame_too_large": 413,
    "payload_too_deep": 400,
    "not_authenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "stale": 409,
    "update_id_exhausted": 409,
    "unavailable": 503,
    "internal_error": 500,
    "too_many_objects": 429,
    "too_many_subscriptions": 429,
    "rate_limited": 429,
    "token_invalid": 403,
    "token_expired": 403,
    "token_wrong_object": 403,
    "token_wrong_scope": 403,
    "token_revoked": 403,
}


class ShoutOutError(Exception):
    """Base of every error ShoutOut raises on purpose.

    ``code`` is the stable machine code; ``extra`` contains fields that the REST
    response or error frame carries besides ``code`` and ``message`` (for example the current
    update id of a stale write).
    """

    code = "invalid"

    def __init__(self, message, *, code=None, **extra):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.extra = extra

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.extra}


class InvalidPayload(ShoutOutError, ValueError):
    """A state or message payload is not acceptable JSON, too large or too deep."""


class NotFound(ShoutOutError, LookupError):
    """The object does not exist, has expired, or the caller may not read it."""

    code = "not_found"


class Forbidden(ShoutOutError, PermissionError):
    """The caller may read the object but not do what it asked."""

    code = "forbidden"


class NotAuthenticated(ShoutOutError, PermissionError):
    """The request needs a logged-in user."""

    code = "not_authenticated"


class LimitExceeded(ShoutOutError):
    """A configured limit was reached; ``limit`` in ``extra`` names its value."""

    code = "rate_limited"


class StaleUpdate(ShoutOutError):
    """An update id is not newer than the object's current one."""

    code = "stale"

    def __init__(self, update_id, current_update_id):
        super().__init__(
            f"Update id {update_id} is not newer than the current update id "
            f"{current_update_id}; send an id greater than {current_update_id} "
            "or omit it to let the server assign the next one.",
            current_update_id=current_update_id,
        )
        self.update_id = update_id
        self.current_update_id = current_update_id
