"""In-memory state store: the default, for one server process.

State lives in a dict of this process, so it is lost on restart and invisible
to other processes. Use ``shoutout.store.redis.RedisStore`` when several
processes serve the same objects (the ``shoutout.W002`` check warns).
"""

import heapq
import threading
from dataclasses import replace

from shoutout.store.base import BaseStore, Snapshot, WriteOutcome


class MemoryStore(BaseStore):
    """A dict of snapshots guarded by one lock.

    Every method holds the lock for a few dict operations and never awaits, so
    the async twins call the sync methods directly; this is safe from the
    event loop and from worker threads alike.
    """

    def __init__(self, **options):
        super().__init__(**options)
        self._lock = threading.Lock()
        self._objects: dict[str, Snapshot] = {}
        # Heap of (expires_at, object_id) with at least one entry per live
        # object. A write moves an expiry later without touching the heap, so
        # an entry may be early: pop_expired() then pushes it back with the
        # current expiry. This keeps the heap at one entry per object instead
        # of one per write.
        self._expiry_heap: list = []

    def create(self, object_id, data_json, ttl, now):
        snapshot = Snapshot(object_id, data_json, 0, now, now + ttl, ttl)
        with self._lock:
            current = self._objects.get(object_id)
            if current is not None and current.expires_at > now:
                raise ValueError(f"object {object_id!r} already exists")
            self._objects[object_id] = snapshot
            heapq.heappush(self._expiry_heap, (snapshot.expires_at, object_id))
        return snapshot

    def get(self, object_id, now):
        snapshot = self._objects.get(object_id)
        if snapshot is None or snapshot.expires_at <= now:
            return None
        return snapshot

    def write(self, object_id, *, data_json, update_id, now, max_update_id):
        with self._lock:
            current = self.get(object_id, now)
            if current is None:
                return WriteOutcome("not_found", 0)

            if update_id is None:
                update_id = current.update_id + 1
                if update_id > max_update_id:
                    return WriteOutcome("exhausted", current.update_id, current.expires_at)
            elif update_id <= current.update_id:
                return WriteOutcome("stale", current.update_id, current.expires_at)

            updated = replace(
                current,
                data_json=current.data_json if data_json is None else data_json,
                update_id=update_id,
                last_write=now,
                expires_at=now + current.ttl,
            )
            self._objects[object_id] = updated
        return WriteOutcome("accepted", update_id, updated.expires_at)

    def set_ttl(self, object_id, ttl, now):
        with self._lock:
            current = self.get(object_id, now)
            if current is None:
                return None
            updated = replace(current, ttl=ttl, expires_at=current.last_write + ttl)
            self._objects[object_id] = updated
            heapq.heappush(self._expiry_heap, (updated.expires_at, object_id))
        return updated if updated.expires_at > now else None

    def delete(self, object_id):
        with self._lock:
            return self._objects.pop(object_id, None) is not None

    def pop_expired(self, now, limit=100):
        expired = []
        with self._lock:
            while self._expiry_heap and len(expired) < limit:
                expires_at, object_id = self._expiry_heap[0]
                if expires_at > now:
                    break
                heapq.heappop(self._expiry_heap)
                snapshot = self._objects.get(object_id)
                if snapshot is None:
                    continue  # deleted, or already popped through another entry
                if snapshot.expires_at > now:
                    heapq.heappush(self._expiry_heap, (snapshot.expires_at, object_id))
                    continue
                del self._objects[object_id]
                expired.append(object_id)
        return expired

    async def acreate(self, object_id, data_json, ttl, now):
        return self.create(object_id, data_json, ttl, now)

    async def aget(self, object_id, now):
        return self.get(object_id, now)

    async def aget_many(self, object_ids, now):
        return self.get_many(object_ids, now)

    async def awrite(self, object_id, *, data_json, update_id, now, max_update_id):
        return self.write(
            object_id, data_json=data_json, update_id=update_id, now=now, max_update_id=max_update_id
        )

    async def aset_ttl(self, object_id, ttl, now):
        return self.set_ttl(object_id, ttl, now)

    async def adelete(self, object_id):
        return self.delete(object_id)

    async def apop_expired(self, now, limit=100):
        return self.pop_expired(now, limit)
