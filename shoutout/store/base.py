"""The state store contract.

A state store keeps the hot part of every live object: its current data, its
current update id and its expiry. It is the single authority for update ids,
so ``write()`` must compare and assign them atomically: two concurrent writes
never get the same id and an id never goes back.

A backend subclasses :class:`BaseStore` and implements the sync methods. The
async twins default to running the sync method in a worker thread; backends
with a native async client (or no I/O at all) override them.
"""

import json
from dataclasses import dataclass

from asgiref.sync import sync_to_async


@dataclass(frozen=True)
class Snapshot:
    """The current state of one live object, as stored."""

    object_id: str
    data_json: str
    update_id: int
    last_write: float
    expires_at: float
    ttl: int

    @property
    def data(self):
        return json.loads(self.data_json)


@dataclass(frozen=True)
class WriteOutcome:
    """The result of a write.

    ``status`` is ``"accepted"``, ``"stale"``, ``"exhausted"`` (the next
    server-assigned id would pass the maximum) or ``"not_found"``.
    ``update_id`` is the accepted id, or for a rejected write the current one
    (0 for ``not_found``).
    """

    status: str
    update_id: int
    expires_at: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


class BaseStore:
    """Contract of a state store backend; see the module docstring."""

    def __init__(self, **options):
        if options:
            names = ", ".join(sorted(options))
            raise TypeError(
                f"{type(self).__name__} takes no options, got {names}; "
                "check SHOUTOUT['STORE_OPTIONS']."
            )

    # Sync API: every backend implements these.

    def create(self, object_id: str, data_json: str, ttl: int, now: float) -> Snapshot:
        """Store a new object with update id 0; replace nothing that is live."""
        raise NotImplementedError("subclasses of BaseStore must provide a create() method")

    def get(self, object_id: str, now: float) -> Snapshot | None:
        """Return the object's snapshot, or None when it is missing or expired at ``now``."""
        raise NotImplementedError("subclasses of BaseStore must provide a get() method")

    def get_many(self, object_ids, now: float) -> dict:
        """Return ``{object_id: Snapshot}`` for the ids that are live at ``now``."""
        found = {}
        for object_id in object_ids:
            snapshot = self.get(object_id, now)
            if snapshot is not None:
                found[object_id] = snapshot
        return found

    def write(self, object_id: str, *, data_json: str | None, update_id: int | None,
              now: float, max_update_id: int) -> WriteOutcome:
        """Advance the object's update id and, when ``data_json`` is given, replace its data.

        With ``update_id`` None the store assigns the current id plus one.
        A write also moves the expiry to ``now + ttl``.
        """
        raise NotImplementedError("subclasses of BaseStore must provide a write() method")

    def set_ttl(self, object_id: str, ttl: int, now: float) -> Snapshot | None:
        """Change the TTL; the expiry becomes the last write time plus the new TTL."""
        raise NotImplementedError("subclasses of BaseStore must provide a set_ttl() method")

    def delete(self, object_id: str) -> bool:
        """Remove the object; return whether it was there (expired or not)."""
        raise NotImplementedError("subclasses of BaseStore must provide a delete() method")

    def pop_expired(self, now: float, limit: int = 100) -> list:
        """Remove up to ``limit`` objects expired at ``now`` and return their ids.

        Each expired id is returned by exactly one call, even when several
        processes sweep the same store, so exactly one of them announces it.
        """
        raise NotImplementedError("subclasses of BaseStore must provide a pop_expired() method")

    def close(self):
        """Release connections; called when settings change in tests."""

    # Async twins.

    async def acreate(self, object_id, data_json, ttl, now):
        return await sync_to_async(self.create, thread_sensitive=False)(object_id, data_json, ttl, now)

    async def aget(self, object_id, now):
        return await sync_to_async(self.get, thread_sensitive=False)(object_id, now)

    async def aget_many(self, object_ids, now):
        return await sync_to_async(self.get_many, thread_sensitive=False)(object_ids, now)

    async def awrite(self, object_id, *, data_json, update_id, now, max_update_id):
        return await sync_to_async(self.write, thread_sensitive=False)(
            object_id, data_json=data_json, update_id=update_id, now=now, max_update_id=max_update_id
        )

    async def aset_ttl(self, object_id, ttl, now):
        return await sync_to_async(self.set_ttl, thread_sensitive=False)(object_id, ttl, now)

    async def adelete(self, object_id):
        return await sync_to_async(self.delete, thread_sensitive=False)(object_id)

    async def apop_expired(self, now, limit=100):
        return await sync_to_async(self.pop_expired, thread_sensitive=False)(now, limit)
