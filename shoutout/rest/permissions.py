"""DRF permission and throttle classes that defer to ShoutOut's access rules."""

from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from shoutout.access import CONFIGURE, READ, WRITE, authorize
from shoutout.conf import shoutout_settings
from shoutout.errors import Forbidden, NotAuthenticated
from shoutout.policy import get_policy

READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Capability tokens travel in this header, never in the URL.
TOKEN_HEADER = "HTTP_X_SHOUTOUT_TOKEN"


def request_token(request):
    """Return the capability token of a request (``X-ShoutOut-Token`` header), or None."""
    return request.META.get(TOKEN_HEADER) or None


def action_for(request, view) -> str:
    """Return the access action a request needs: the view's ``access_action``, else by method."""
    explicit = getattr(view, "access_action", None)
    if explicit is not None:
        return explicit
    if request.method in READ_METHODS:
        return READ
    if request.method == "PATCH":
        return CONFIGURE
    return WRITE


class StateObjectPermission(BasePermission):
    """Create needs the policy's ``can_create``; everything else goes through
    :func:`shoutout.access.authorize` with the request's user and token.

    An object the caller may not read raises ``NotFound`` (404), the same
    response as for a missing id. A readable object the caller may not
    change raises ``Forbidden`` (403).
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
        authorize(request.user, obj, action_for(request, view), token=request_token(request))
        return True


class CreateRateThrottle(SimpleRateThrottle):
    """Limits object creations per user (per client address when anonymous) to ``SHOUTOUT['CREATE_RATE']``."""

    scope = "shoutout_create"

    def get_rate(self):
        return shoutout_settings.CREATE_RATE

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
