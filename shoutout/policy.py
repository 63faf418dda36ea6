"""Who may read and write a state object.

The REST permission classes, the WebSocket consumer and the Python API all ask
the policy named by ``SHOUTOUT['POLICY']``; nothing else decides access.
"""

from django.utils.module_loading import import_string

from shoutout.conf import shoutout_settings
from shoutout.models import Security


class BasePolicy:
    """Contract of an access policy. Subclass it and name it in ``SHOUTOUT['POLICY']``.

    ``user`` is a Django user, possibly ``AnonymousUser``; ``obj`` is a
    :class:`~shoutout.models.StateObject`. The methods run in sync code; the
    consumer calls them through ``database_sync_to_async``, so they may query
    the database.
    """

    def can_create(self, user) -> bool:
        raise NotImplementedError("subclasses of BasePolicy must provide a can_create() method")

    def can_read(self, user, obj) -> bool:
        raise NotImplementedError("subclasses of BasePolicy must provide a can_read() method")

    def can_write(self, user, obj) -> bool:
        raise NotImplementedError("subclasses of BasePolicy must provide a can_write() method")


class DefaultPolicy(BasePolicy):
    """The owner reads and writes; staff read (and write if ``STAFF_MAY_WRITE``);
    anyone reads a ``public`` object."""

    def can_create(self, user):
        if user is not None and user.is_authenticated:
            return True
        return shoutout_settings.ALLOW_ANONYMOUS_CREATE

    def is_owner(self, user, obj):
        return user is not None and user.is_authenticated and obj.owner_id == user.pk

    def can_read(self, user, obj):
        if obj.security == Security.PUBLIC:
            return True
        if self.is_owner(user, obj):
            return True
        return bool(user is not None and user.is_active and user.is_staff)

    def can_write(self, user, obj):
        if self.is_owner(user, obj):
            return True
        staff = bool(user is not None and user.is_active and user.is_staff)
        return staff and shoutout_settings.STAFF_MAY_WRITE


def get_policy() -> BasePolicy:
    """Return an instance of the policy class named by ``SHOUTOUT['POLICY']``."""
    return import_string(shoutout_settings.POLICY)()


def may_create(user) -> bool:
    return get_policy().can_create(user)


def may_read(user, obj) -> bool:
    return get_policy().can_read(user, obj)


def may_write(user, obj) -> bool:
    return get_policy().can_write(user, obj)
