"""Changing who may access an object: readers, writers and capability tokens.

Every function here needs the ``configure`` right, which only a user can have
(see :func:`shoutout.access.authorize`). Each change that can take access away
is announced to the object's receivers, which check their access again.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F

from shoutout import tokens
from shoutout.access import CONFIGURE
from shoutout.errors import InvalidPayload
from shoutout.models import StateObject
from shoutout.operations import TRUSTED, announce_access_change, clean_seconds, load, now

GRANT_FIELDS = ("readers", "writers", "reader_groups", "writer_groups")


def clean_expires_in(expires_in):
    return None if expires_in is None else clean_seconds(expires_in, "expires_in")


def mint_token(object_id, scope, *, actor=TRUSTED, expires_in=None):
    """Return ``(token, expires_at)`` for a new capability token on the object.

    ``expires_in`` is in seconds; without it the token is valid as long as
    the object lives and its tokens are not revoked. ``expires_at`` is a Unix
    time or None.
    """
    if scope not in tokens.SCOPES:
        raise InvalidPayload(f"'scope' must be one of {', '.join(tokens.SCOPES)}, got {scope!r}.", field="scope")
    obj = load(object_id, actor, CONFIGURE).obj
    expires_in = clean_expires_in(expires_in)
    expires_at = None if expires_in is None else now() + expires_in
    return tokens.mint(obj.pk, scope, obj.token_generation, expires_at), expires_at


def mint_initial_tokens(obj) -> dict:
    """Return the read and write tokens handed out when an object is created."""
    return {
        f"{scope}_token": tokens.mint(obj.pk, scope, obj.token_generation) for scope in tokens.SCOPES
    }


def revoke_tokens(object_id, *, actor=TRUSTED) -> int:
    """Revoke every capability token of the object; return the new token generation.

    Subscriptions opened with a revoked token end with a ``revoked`` frame.
    """
    obj = load(object_id, actor, CONFIGURE).obj
    StateObject.objects.filter(pk=obj.pk).update(token_generation=F("token_generation") + 1)
    generation = StateObject.objects.values_list("token_generation", flat=True).get(pk=obj.pk)
    announce_access_change(obj.pk, token_generation=generation)
    return generation


def _resolve(field, names):
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise InvalidPayload(f"'{field}' must be a list of names.", field=field)
    if field.endswith("_groups"):
        found = {g.name: g for g in Group.objects.filter(name__in=names)}
        kind = "group"
    else:
        user_model = get_user_model()
        lookup = f"{user_model.USERNAME_FIELD}__in"
        found = {u.get_username(): u for u in user_model.objects.filter(**{lookup: names})}
        kind = "user"
    missing = [n for n in names if n not in found]
    if missing:
        raise InvalidPayload(
            f"'{field}' names unknown {kind}s: {', '.join(repr(m) for m in missing[:10])}.", field=field
        )
    return list(found.values())


def set_grants(object_id, *, actor=TRUSTED, **grants):
    """Replace any of ``readers``, ``writers`` (usernames), ``reader_groups``, ``writer_groups``
    (group names); return the row."""
    unknown = set(grants) - set(GRANT_FIELDS)
    if unknown:
        raise TypeError(f"set_grants() got unknown fields: {', '.join(sorted(unknown))}")
    obj = load(object_id, actor, CONFIGURE).obj
    resolved = {field: _resolve(field, names) for field, names in grants.items() if names is not None}
    with transaction.atomic():
        for field, members in resolved.items():
            getattr(obj, field).set(members)
    if resolved:
        announce_access_change(obj.pk)
    return obj


def describe_grants(obj) -> dict:
    """Return the object's grants as lists of usernames and group names."""
    return {
        "readers": sorted(u.get_username() for u in obj.readers.all()),
        "writers": sorted(u.get_username() for u in obj.writers.all()),
        "reader_groups": sorted(g.name for g in obj.reader_groups.all()),
        "writer_groups": sorted(g.name for g in obj.writer_groups.all()),
    }
