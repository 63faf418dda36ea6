"""Who may create, read and write a state object.

The DRF permission classes, the WebSocket consumer and the Python API all ask
the policy named by ``SHOUTOUT['POLICY']`` through :mod:`shoutout.access`;
nothing else decides access for a user. Capability tokens are checked in
:mod:`shoutout.access` too, after the policy has said no.
"""

from django.utils.module_loading import import_string

from shoutout.conf import shoutout_settings
from shoutout.models import Security


class BasePolicy:
    """Contract of an access policy. Subclass it and name it in ``SHOUTOUT['POLICY']``.

    ``user`` is a Django user, possibly ``AnonymousUser``; ``obj`` is a
    :class:`~shoutout.models.StateObject`. The methods run in sync code (the
    consumer calls them through ``database_sync_to_async``), so they may
    query the database. They return a bool; a refusal is ``False``, not an exception.
    """

    def can_create(self, user) -> bool:
        """Return whether ``user`` may create state objects."""
        raise NotImplementedError("subclasses of BasePolicy must provide a can_create() method")

    def can_read(self, user, obj) -> bool:
        """Return whether ``user`` may subscribe to and read ``obj``."""
        raise NotImplementedError("subclasses of BasePolicy must provide a can_read() method")

    def can_write(self, user, obj) -> bool:
        """Return whether ``user`` may update ``obj``, publish to it and delete it."""
        raise NotImplementedError("subclasses of BasePolicy must provide a can_write() method")

    def can_configure(self, user, obj) -> bool:
        """Return whether ``user`` may change TTL, security, readers and writers, and manage tokens.

        Defaults to :meth:`can_write`.
        """
        return self.can_write(user, obj)


def is_authenticated(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


class DefaultPolicy(BasePolicy):
    """The rules documented in ``docs/security.md``.

    - The owner reads and writes. Writers (users and groups) read and write.
    - Readers (users and groups) read. ``authenticated`` objects are read by
      any logged-in user, ``public`` ones by anyone who has the id.
    - Staff read when ``SHOUTOUT['STAFF_MAY_READ']`` and write when
      ``SHOUTOUT['STAFF_MAY_WRITE']``.
    - Anonymous users create objects only when ``ALLOW_ANONYMOUS_CREATE``.
    """

    def can_create(self, user):
        return is_authenticated(user) or shoutout_settings.ALLOW_ANONYMOUS_CREATE

    def can_read(self, user, obj):
        if obj.security == Security.PUBLIC:
            return True
        if not is_authenticated(user):
            return False
        if obj.security == Security.AUTHENTICATED:
            return True
        if user.is_staff and shoutout_settings.STAFF_MAY_READ:
            return True
        return self.can_write(user, obj) or self.is_granted(user, obj, obj.readers, obj.reader_groups)

    def can_write(self, user, obj):
        if not is_authenticated(user):
            return False
        if obj.owner_id == user.pk:
            return True
        if user.is_staff and shoutout_settings.STAFF_MAY_WRITE:
            return True
        return self.is_granted(user, obj, obj.writers, obj.writer_groups)

    @staticmethod
    def is_granted(user, obj, users, groups) -> bool:
        """Return whether ``user`` is in the ``users`` relation or a member of one of ``groups``."""
        if obj.pk is None:
            return False
        return users.filter(pk=user.pk).exists() or groups.filter(user=user).exists()


def get_policy() -> BasePolicy:
    """Return an instance of the policy class named by ``SHOUTOUT['POLICY']``."""
    return import_string(shoutout_settings.POLICY)()


def may_create(user) -> bool:
    """Return whether ``user`` may create state objects under the configured policy."""
    return get_policy().can_create(user)


def may_read(user, obj) -> bool:
    """Return whether ``user`` may read ``obj`` under the configured policy (tokens aside)."""
    return get_policy().can_read(user, obj)


def may_write(user, obj) -> bool:
    """Return whether ``user`` may write ``obj`` under the configured policy (tokens aside)."""
    return get_policy().can_write(user, obj)


def may_configure(user, obj) -> bool:
    """Return whether ``user`` may change ``obj``'s settings and tokens under the configured policy."""
    return get_policy().can_configure(user, obj)
