"""DRF permission classes that defer to the ShoutOut access policy."""

from rest_framework.permissions import BasePermission

from shoutout.errors import Forbidden, NotAuthenticated, NotFound
from shoutout.policy import get_policy

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class StateObjectPermission(BasePermission):
    """Create needs ``can_create``; reads need ``can_read``; anything else needs ``can_write``.

    An object the user may not read raises ``NotFound`` (404), the same answer
    as for a missing id; a readable object the user may not write raises
    ``Forbidden`` (403).
    """

    def has_permission(self, request, view):
        if request.method != "POST" or not getattr(view, "creates_objects", False):
            return True
        if get_policy().can_create(request.user):
            return True
        if not request.user.is_authenticated:
            raise NotAuthenticated("Log in, or send a DRF token, to create state objects.")
        raise Forbidden("You may not create state objects.")

    def has_object_permission(self, request, view, obj):
        policy = get_policy()
        if not policy.can_read(request.user, obj):
            raise NotFound(f"No live state object with id {obj.pk!r} is visible to you.")
        if request.method in READ_METHODS:
            return True
        if not policy.can_write(request.user, obj):
            raise Forbidden(f"You may read state object {obj.pk!r} but not write it.")
        return True
