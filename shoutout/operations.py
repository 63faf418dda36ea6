"""The operations on state objects, shared by the REST API, the consumer and the Python API.

Every path that creates, reads, writes or deletes an object goes through here,
so the access policy, the payload limits and the stale-update rule are applied
the same way everywhere. Sync functions serve views and task workers; the
``a``-prefixed twins serve the consumer.

``actor`` is the Django user acting, or :data:`TRUSTED` for server code that
is allowed everything (the Python API's default).
"""

import time

from channels.db import database_sync_to_async
from django.db import transaction

from shoutout import access, fanout, frames, payloads
from shoutout.access import CONFIGURE, READ, WRITE, Grant
from shoutout.conf import shoutout_settings
from shoutout.errors import (
    Forbidden,
    InvalidPayload,
    LimitExceeded,
    NotAuthenticated,
    NotFound,
    ShoutOutError,
    StaleUpdate,
)
from shoutout.ids import MAX_UPDATE_ID, is_valid_object_id, is_valid_update_id
from shoutout.models import Security, StateObject
from shoutout.policy import get_policy
from shoutout.store import get_store

TRUSTED = object()


def now() -> float:
    return time.time()


# Validation of arguments.

def clean_seconds(value, field):
    """Return ``value`` if it is an integer number of seconds from 1 to ``MAX_TTL``; raise otherwise."""
    max_ttl = shoutout_settings.MAX_TTL
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= max_ttl:
        raise InvalidPayload(
            f"'{field}' must be an integer number of seconds from 1 to {max_ttl} "
            f"(setting SHOUTOUT['MAX_TTL']), got {value!r}.",
            field=field,
        )
    return value


def clean_ttl(ttl):
    """Return the TTL in seconds, the default when ``ttl`` is None."""
    if ttl is None:
        return shoutout_settings.DEFAULT_TTL
    return clean_seconds(ttl, "ttl")


def clean_security(security):
    if security is None:
        return shoutout_settings.DEFAULT_SECURITY
    if security not in Security.values:
        choices = ", ".join(Security.values)
        raise InvalidPayload(f"'security' must be one of {choices}, got {security!r}.", field="security")
    return security


def clean_update_id(update_id):
    if update_id is None or is_valid_update_id(update_id):
        return update_id
    raise InvalidPayload(
        f"'update_id' must be an integer from 1 to {MAX_UPDATE_ID}, got {update_id!r}.",
        field="update_id",
    )


# Loading an object with an access check.

def load(object_id, actor, action=READ, *, token=None) -> Grant:
    """Return the ``Grant`` for ``actor`` (or ``token``) to do ``action`` on the object.

    A malformed id, a missing row and an object the actor may not read all
    raise the same ``NotFound``.
    """
    if not is_valid_object_id(object_id):
        raise access.not_found(object_id)
    obj = StateObject.objects.filter(pk=object_id).first()
    if obj is None:
        raise access.not_found(object_id)
    if actor is TRUSTED:
        return Grant(obj)
    return access.authorize(actor, obj, action, token)


# database_sync_to_async also closes stale database connections, as Channels does.
aload = database_sync_to_async(load)


def _outcome_or_raise(object_id, outcome, update_id):
    if outcome.status == "accepted":
        return outcome
    if outcome.status == "not_found":
        raise access.not_found(object_id)
    if outcome.status == "stale":
        raise StaleUpdate(update_id, outcome.update_id)
    raise ShoutOutError(
        f"State object {object_id!r} is at the maximum update id {MAX_UPDATE_ID}; "
        "create a new object.",
        code="update_id_exhausted",
        current_update_id=outcome.update_id,
    )


# Create.

def create(*, actor=TRUSTED, owner=None, data=None, ttl=None, security=None):
    """Create an object and return ``(row, snapshot)``.

    ``owner`` defaults to ``actor`` when that is an authenticated user.
    """
    if actor is not TRUSTED:
        if not get_policy().can_create(actor):
            if not actor.is_authenticated:
                raise NotAuthenticated("Log in to create state objects.")
            raise Forbidden("You may not create state objects.")
        if owner is None and actor.is_authenticated:
            owner = actor

    ttl = clean_ttl(ttl)
    security = clean_security(security)
    data_json = payloads.validate(data)
    if owner is not None:
        check_live_object_limit(owner)

    with transaction.atomic():
        obj = StateObject.objects.create(owner=owner, ttl=ttl, security=security)
        snapshot = get_store().create(obj.pk, data_json, ttl, now())
    return obj, snapshot


acreate = database_sync_to_async(create)


def check_live_object_limit(owner):
    """Raise ``LimitExceeded`` when ``owner`` already has the maximum number of live objects."""
    limit = shoutout_settings.MAX_LIVE_OBJECTS_PER_USER
    if limit is None:
        return
    ids = list(StateObject.objects.filter(owner=owner).values_list("pk", flat=True))
    if len(ids) < limit:
        return
    live = len(get_store().get_many(ids, now()))
    if live >= limit:
        raise LimitExceeded(
            f"You have {live} live state objects; the limit is {limit} "
            "(setting SHOUTOUT['MAX_LIVE_OBJECTS_PER_USER']). Delete some or let them expire.",
            code="too_many_objects",
            limit=limit,
        )


# Read.

def live_snapshot(object_id):
    """Return the store's snapshot of an object whose access was already checked; raise ``NotFound`` if expired."""
    snapshot = get_store().get(object_id, now())
    if snapshot is None:
        raise access.not_found(object_id)
    return snapshot


def get(object_id, *, actor=TRUSTED, token=None):
    """Return ``(row, snapshot)`` of a live object; raise ``NotFound`` otherwise."""
    obj = load(object_id, actor, READ, token=token).obj
    return obj, live_snapshot(object_id)


async def aget(object_id, *, actor=TRUSTED, token=None):
    obj = (await aload(object_id, actor, READ, token=token)).obj
    snapshot = await get_store().aget(object_id, now())
    if snapshot is None:
        raise access.not_found(object_id)
    return obj, snapshot


def list_live(queryset):
    """Return ``[(row, snapshot)]`` for the rows of ``queryset`` that are live."""
    rows = list(queryset)
    snapshots = get_store().get_many([row.pk for row in rows], now())
    return [(row, snapshots[row.pk]) for row in rows if row.pk in snapshots]


# Write: state updates and messages share one update id sequence.

def _prepare_write(kind, value, update_id):
    field = "data" if kind == "state" else "payload"
    return payloads.validate(value, field=field), clean_update_id(update_id)


def _event(object_id, kind, value_json, outcome):
    build = frames.state if kind == "state" else frames.message
    text = build(object_id, outcome.update_id, value_json)
    return fanout.build_event(object_id, kind, text, outcome.update_id)


def write(object_id, kind, value, *, update_id=None, actor=TRUSTED, token=None):
    """Store a state update (``kind="state"``) or a message (``kind="message"``) and fan it out.

    Return the store's ``WriteOutcome``; raise ``StaleUpdate`` when
    ``update_id`` is not newer than the current one.
    """
    load(object_id, actor, WRITE, token=token)
    value_json, update_id = _prepare_write(kind, value, update_id)

    outcome = get_store().write(
        object_id,
        data_json=value_json if kind == "state" else None,
        update_id=update_id,
        now=now(),
        max_update_id=MAX_UPDATE_ID,
    )
    _outcome_or_raise(object_id, outcome, update_id)
    fanout.send(_event(object_id, kind, value_json, outcome))
    return outcome


async def awrite(object_id, kind, value, *, update_id=None, actor=TRUSTED, token=None):
    """Async twin of :func:`write`."""
    await aload(object_id, actor, WRITE, token=token)
    value_json, update_id = _prepare_write(kind, value, update_id)

    outcome = await get_store().awrite(
        object_id,
        data_json=value_json if kind == "state" else None,
        update_id=update_id,
        now=now(),
        max_update_id=MAX_UPDATE_ID,
    )
    _outcome_or_raise(object_id, outcome, update_id)
    await fanout.asend(_event(object_id, kind, value_json, outcome))
    return outcome


# Settings changes, deletion and expiry.

def configure(object_id, *, actor=TRUSTED, ttl=None, security=None):
    """Change an object's TTL and/or security; return ``(row, snapshot)``."""
    obj = load(object_id, actor, CONFIGURE).obj
    fields = []
    if security is not None:
        obj.security = clean_security(security)
        fields.append("security")
    if ttl is not None:
        obj.ttl = clean_ttl(ttl)
        fields.append("ttl")
        if get_store().set_ttl(object_id, obj.ttl, now()) is None:
            expire([object_id])
            raise NotFound(f"State object {object_id!r} expired.")
    if fields:
        obj.save(update_fields=fields)
    if "security" in fields:
        announce_access_change(object_id)
    return get(object_id, actor=TRUSTED)


def announce_access_change(object_id, token_generation=None):
    """Tell every receiver of the object to check its read access again.

    ``token_generation`` is set after a revocation: subscriptions held by
    older tokens end with a ``revoked`` frame.
    """
    fanout.send(fanout.build_event(object_id, "access", "", update_id=token_generation))


def delete(object_id, *, actor=TRUSTED, token=None):
    """Delete an object; its receivers get a ``deleted`` frame."""
    load(object_id, actor, WRITE, token=token)
    get_store().delete(object_id)
    StateObject.objects.filter(pk=object_id).delete()
    fanout.send(fanout.build_event(object_id, "deleted", frames.control("deleted", object_id)))


adelete = database_sync_to_async(delete)


def expire(object_ids):
    """Expire objects now: remove them and send ``expired`` to their receivers."""
    store = get_store()
    for object_id in object_ids:
        store.delete(object_id)
    StateObject.objects.filter(pk__in=list(object_ids)).delete()
    for object_id in object_ids:
        fanout.send(fanout.build_event(object_id, "expired", frames.control("expired", object_id)))
