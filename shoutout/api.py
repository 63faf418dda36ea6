"""The Python sender API, for Django views, management commands and task workers.

Writes never raise for runtime trouble: a stale update id, a missing object,
a refused permission or an unreachable store comes back as a
:class:`WriteResult` whose ``status`` says what happened, so the caller's own
work goes on when ShoutOut cannot help. Invalid arguments (a payload that is
not JSON or is over the limits, a bad TTL) are programming errors and raise
:class:`shoutout.errors.InvalidPayload`, a ``ValueError``.

Each function has an async twin with an ``a`` prefix. Pass ``user=`` to act
as that user under the access policy, and ``token=`` to add a capability
token; without either the call is trusted.
"""

import logging
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser

from shoutout import grants, operations
from shoutout.errors import InvalidPayload, ShoutOutError
from shoutout.store import get_store
from shoutout.store.memory import MemoryStore

logger = logging.getLogger("shoutout.api")

__all__ = [
    "WriteResult", "create", "acreate", "get", "aget", "update", "aupdate",
    "publish", "apublish", "delete", "adelete", "mint_token", "amint_token",
    "revoke_tokens", "arevoke_tokens", "set_grants", "aset_grants",
]


@dataclass(frozen=True)
class WriteResult:
    """The outcome of :func:`update`, :func:`publish` or :func:`delete`.

    ``status`` is one of ``accepted``, ``stale``, ``not_found``,
    ``forbidden``, ``update_id_exhausted`` or ``unavailable``.
    ``update_id`` is the id the write was stored under (accepted only);
    ``current_update_id`` is the object's id when a write was stale.
    A result is true exactly when the write was accepted.
    """

    status: str
    update_id: int | None = None
    current_update_id: int | None = None
    message: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def stale(self) -> bool:
        return self.status == "stale"

    def __bool__(self):
        return self.accepted


def _actor(user, token=None):
    """Return who acts: ``user``; the anonymous user when only a token is given; else trusted."""
    if user is not None:
        return user
    return operations.TRUSTED if token is None else AnonymousUser()


def _refused(exc: ShoutOutError, trusted=False) -> WriteResult:
    status = "forbidden" if exc.code == "not_authenticated" else exc.code
    message = exc.message
    if trusted and exc.code == "not_found" and isinstance(get_store(), MemoryStore):
        message += (
            " The in-memory state store holds only the objects of the process that created them;"
            " use shoutout.store.redis.RedisStore to write from management commands or workers."
        )
    return WriteResult(status, current_update_id=exc.extra.get("current_update_id"), message=message)


def _unavailable(action, object_id, exc) -> WriteResult:
    logger.warning("ShoutOut %s of object %s failed: %s", action, object_id, exc.__class__.__name__)
    return WriteResult("unavailable", message=f"ShoutOut is unavailable: {exc.__class__.__name__}.")


def _guarded_write(object_id, kind, value, update_id, user, token):
    try:
        outcome = operations.write(
            object_id, kind, value, update_id=update_id, actor=_actor(user, token), token=token
        )
    except InvalidPayload:
        raise
    except ShoutOutError as exc:
        return _refused(exc, trusted=user is None and token is None)
    except Exception as exc:  # a store or channel layer that is down
        return _unavailable(kind, object_id, exc)
    return WriteResult("accepted", update_id=outcome.update_id)


def create(*, data=None, ttl=None, security=None, owner=None, user=None):
    """Create a state object and return its row (``.id`` is what receivers subscribe to).

    ``ttl`` is in seconds (default ``SHOUTOUT['DEFAULT_TTL']``); ``security``
    is ``"private"`` or ``"public"``. ``owner`` defaults to ``user``. Unlike
    the writes, a failure to create raises, because there is no id to go on with.
    """
    row, _ = operations.create(actor=_actor(user), owner=owner, data=data, ttl=ttl, security=security)
    return row


def get(object_id, *, user=None, token=None):
    """Return ``(data, update_id)`` of a live object.

    Return None when the object is not found, not readable, or ShoutOut is
    unavailable (the last is logged).
    """
    try:
        _, snapshot = operations.get(object_id, actor=_actor(user, token), token=token)
    except ShoutOutError:
        return None
    except Exception as exc:  # a store that is down
        _unavailable("read", object_id, exc)
        return None
    return snapshot.data, snapshot.update_id


def update(object_id, data, *, update_id=None, user=None, token=None) -> WriteResult:
    """Replace the object's state with ``data`` and send it to every receiver.

    ``update_id`` must be greater than the object's current one; omit it and
    the server assigns the next id.
    """
    return _guarded_write(object_id, "state", data, update_id, user, token)


def publish(object_id, payload, *, update_id=None, user=None, token=None) -> WriteResult:
    """Send a message to every receiver; the object's state stays as it is.

    Messages take ids from the same sequence as state updates.
    """
    return _guarded_write(object_id, "message", payload, update_id, user, token)


def delete(object_id, *, user=None, token=None) -> WriteResult:
    """Delete the object; receivers get a ``deleted`` frame."""
    try:
        operations.delete(object_id, actor=_actor(user, token), token=token)
    except ShoutOutError as exc:
        return _refused(exc)
    except Exception as exc:
        return _unavailable("delete", object_id, exc)
    return WriteResult("accepted")


def mint_token(object_id, scope, *, expires_in=None, user=None):
    """Return a new capability token (``scope`` is ``"read"`` or ``"write"``).

    ``expires_in`` is in seconds; without it the token is valid while the
    object lives and its tokens are not revoked. Raises ``NotFound`` or
    ``Forbidden`` when ``user`` may not manage the object's tokens.
    """
    token, _ = grants.mint_token(object_id, scope, actor=_actor(user), expires_in=expires_in)
    return token


def revoke_tokens(object_id, *, user=None) -> int:
    """Revoke every capability token of the object and return the new token generation.

    Subscriptions opened with a revoked token end with a ``revoked`` frame.
    """
    return grants.revoke_tokens(object_id, actor=_actor(user))


def set_grants(object_id, *, user=None, readers=None, writers=None, reader_groups=None, writer_groups=None):
    """Replace the object's readers and writers (usernames) and reader and writer groups (names).

    Arguments left as None keep their current value.
    """
    return grants.set_grants(
        object_id, actor=_actor(user), readers=readers, writers=writers,
        reader_groups=reader_groups, writer_groups=writer_groups,
    )


acreate = sync_to_async(create)
amint_token = sync_to_async(mint_token)
arevoke_tokens = sync_to_async(revoke_tokens)
aset_grants = sync_to_async(set_grants)
aget = sync_to_async(get)
aupdate = sync_to_async(update)
apublish = sync_to_async(publish)
adelete = sync_to_async(delete)
