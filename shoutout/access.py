"""The one access check used by REST, the WebSocket consumer and the Python API.

:func:`authorize` combines the policy (for the user) with an optional
capability token. It raises the same ``NotFound`` for an object the caller
may not read as for a missing one, so responses reveal nothing about ids the
caller cannot see, and ``Forbidden`` when the caller may read but not do
what it asked.
"""

from dataclasses import dataclass

from shoutout import tokens
from shoutout.errors import Forbidden, NotFound
from shoutout.policy import get_policy

READ, WRITE, CONFIGURE = "read", "write", "configure"


@dataclass(frozen=True)
class Grant:
    """Access granted to a caller: ``capability`` is set when a token, not the user, granted it."""

    obj: object
    capability: tokens.Capability | None = None


def not_found(object_id) -> NotFound:
    return NotFound(f"No live state object with id {object_id!r} is visible to you.")


def _user_may(policy, user, obj, action):
    if action == READ:
        return policy.can_read(user, obj)
    if action == WRITE:
        return policy.can_write(user, obj)
    return policy.can_configure(user, obj)


def authorize(user, obj, action, token=None) -> Grant:
    """Return a ``Grant`` if ``user`` (or ``token``) may do ``action`` on ``obj``; raise otherwise.

    ``action`` is ``read``, ``write`` or ``configure``. The user's own rights
    are checked first, and the token only when they do not suffice, so a
    stale token never locks out a user who has access anyway. Tokens grant
    ``read`` or ``write`` (update, publish, delete), never ``configure``:
    changing settings and managing tokens needs a user with that right, so
    a leaked token cannot grant lasting access to anyone.
    """
    policy = get_policy()
    if _user_may(policy, user, obj, action):
        return Grant(obj)

    if token is not None and action != CONFIGURE:
        scope = tokens.READ if action == READ else tokens.WRITE
        capability = tokens.verify(token, obj.pk, scope, obj.token_generation)
        return Grant(obj, capability)

    if action != READ and _may_read(policy, user, obj, token):
        raise Forbidden(f"You may read state object {obj.pk!r} but not {action} it.")
    raise not_found(obj.pk)


def _may_read(policy, user, obj, token):
    """Return whether the user, or else the token, may read ``obj``.

    Only a ``configure`` request gets here with a token, because a token
    checked for ``write`` has already raised or granted.
    """
    if _user_may(policy, user, obj, READ):
        return True
    if token is None:
        return False
    try:
        tokens.verify(token, obj.pk, tokens.READ, obj.token_generation)
    except tokens.TokenError:
        return False
    return True
