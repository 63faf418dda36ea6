"""Redis state store, for several server processes sharing one Redis.

Each object is one hash; a sorted set indexes expiry times so that exactly one
process claims each expired object. Compare-and-assign of update ids runs in
Lua scripts, so it is atomic across processes. Keys also get a Redis expiry
a little after the object's own, so Redis frees them even if no process sweeps.

Layout (``prefix`` defaults to ``shoutout``)::

    {prefix}:o:{id}   hash: d=data JSON, u=update id, w=last write ms, t=TTL s, e=expiry ms
    {prefix}:expiry   sorted set: id scored by expiry ms
"""

import redis as redis_sync
import redis.asyncio as redis_async

from shoutout.store.base import BaseStore, Snapshot, WriteOutcome

# Seconds that a key outlives its object in Redis, so sweeps still find it.
KEY_GRACE_SECONDS = 300

_CREATE = """
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) > tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'u', 0, 'w', ARGV[2], 't', ARGV[3], 'e', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], string.format('%d', ARGV[4] + ARGV[5]))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
return 1
"""

# ARGV: now ms, update id or '', has data '1'/'0', data, max update id, grace ms, object id.
# Returns {status, update id, expiry ms}; status 0 not found, 1 accepted, 2 stale, 3 exhausted.
_WRITE = """
local fields = redis.call('HMGET', KEYS[1], 'u', 't', 'e')
if not fields[3] or tonumber(fields[3]) <= tonumber(ARGV[1]) then return {0, 0, 0} end
local current = tonumber(fields[1])
local new_id
if ARGV[2] == '' then
  new_id = current + 1
  if new_id > tonumber(ARGV[5]) then return {3, current, tonumber(fields[3])} end
else
  new_id = tonumber(ARGV[2])
  if new_id <= current then return {2, current, tonumber(fields[3])} end
end
-- Lua numbers are doubles: exact up to 2^53, but Redis would format them with
-- 14 significant digits, so integers are passed back as %d strings.
local expires = tonumber(ARGV[1]) + tonumber(fields[2]) * 1000
new_id = string.format('%d', new_id)
expires = string.format('%d', expires)
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'd', ARGV[4], 'u', new_id, 'w', ARGV[1], 'e', expires)
else
  redis.call('HSET', KEYS[1], 'u', new_id, 'w', ARGV[1], 'e', expires)
end
redis.call('PEXPIREAT', KEYS[1], string.format('%d', expires + ARGV[6]))
redis.call('ZADD', KEYS[2], expires, ARGV[7])
return {1, new_id, expires}
"""

_SET_TTL = """
local fields = redis.call('HMGET', KEYS[1], 'w', 'e')
if not fields[2] or tonumber(fields[2]) <= tonumber(ARGV[1]) then return 0 end
local expires = string.format('%d', tonumber(fields[1]) + tonumber(ARGV[2]) * 1000)
redis.call('HSET', KEYS[1], 't', ARGV[2], 'e', expires)
redis.call('PEXPIREAT', KEYS[1], string.format('%d', expires + ARGV[3]))
redis.call('ZADD', KEYS[2], expires, ARGV[4])
return 1
"""

# ARGV: now ms, limit, key prefix. Claims ids whose expiry passed.
_POP_EXPIRED = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', ARGV[3] .. id)
end
return ids
"""


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


class RedisStore(BaseStore):
    """State store in Redis.

    Options (``SHOUTOUT['STORE_OPTIONS']``): ``url`` (default
    ``redis://127.0.0.1:6379/0``) and ``prefix`` (default ``shoutout``).
    """

    def __init__(self, url="redis://127.0.0.1:6379/0", prefix="shoutout", **options):
        super().__init__(**options)
        self.url = url
        self.prefix = prefix
        self._sync = redis_sync.Redis.from_url(url)
        # One async client per event loop: redis.asyncio connections are bound
        # to the loop that opened them.
        self._async_clients = {}

    def _key(self, object_id):
        return f"{self.prefix}:o:{object_id}"

    @property
    def _expiry_key(self):
        return f"{self.prefix}:expiry"

    def _async(self):
        import asyncio

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = redis_async.Redis.from_url(self.url)
            self._async_clients[loop] = client
        return client

    @staticmethod
    def _snapshot(object_id, fields, now):
        if not fields:
            return None
        fields = {k.decode(): v for k, v in fields.items()}
        expires_ms = int(fields["e"])
        if expires_ms <= _ms(now):
            return None
        return Snapshot(
            object_id=object_id,
            data_json=fields["d"].decode("utf-8"),
            update_id=int(fields["u"]),
            last_write=int(fields["w"]) / 1000,
            expires_at=expires_ms / 1000,
            ttl=int(fields["t"]),
        )

    def _create_args(self, object_id, data_json, ttl, now):
        now_ms = _ms(now)
        keys = [self._key(object_id), self._expiry_key]
        args = [data_json, now_ms, ttl, now_ms + ttl * 1000, KEY_GRACE_SECONDS * 1000, object_id]
        return keys, args

    def _write_args(self, object_id, data_json, update_id, now, max_update_id):
        keys = [self._key(object_id), self._expiry_key]
        args = [
            _ms(now),
            "" if update_id is None else update_id,
            "0" if data_json is None else "1",
            data_json or "",
            max_update_id,
            KEY_GRACE_SECONDS * 1000,
            object_id,
        ]
        return keys, args

    @staticmethod
    def _outcome(reply):
        status, update_id, expires_ms = (int(v) for v in reply)
        names = {0: "not_found", 1: "accepted", 2: "stale", 3: "exhausted"}
        return WriteOutcome(names[status], update_id, expires_ms / 1000)

    # Sync API.

    def create(self, object_id, data_json, ttl, now):
        keys, args = self._create_args(object_id, data_json, ttl, now)
        if not self._sync.eval(_CREATE, len(keys), *keys, *args):
            raise ValueError(f"object {object_id!r} already exists")
        return Snapshot(object_id, data_json, 0, now, now + ttl, ttl)

    def get(self, object_id, now):
        return self._snapshot(object_id, self._sync.hgetall(self._key(object_id)), now)

    def get_many(self, object_ids, now):
        object_ids = list(object_ids)
        pipe = self._sync.pipeline(transaction=False)
        for object_id in object_ids:
            pipe.hgetall(self._key(object_id))
        found = {}
        for object_id, fields in zip(object_ids, pipe.execute()):
            snapshot = self._snapshot(object_id, fields, now)
            if snapshot is not None:
                found[object_id] = snapshot
        return found

    def write(self, object_id, *, data_json, update_id, now, max_update_id):
        keys, args = self._write_args(object_id, data_json, update_id, now, max_update_id)
        return self._outcome(self._sync.eval(_WRITE, len(keys), *keys, *args))

    def set_ttl(self, object_id, ttl, now):
        keys = [self._key(object_id), self._expiry_key]
        args = [_ms(now), ttl, KEY_GRACE_SECONDS * 1000, object_id]
        if not self._sync.eval(_SET_TTL, len(keys), *keys, *args):
            return None
        return self.get(object_id, now)

    def delete(self, object_id):
        pipe = self._sync.pipeline(transaction=True)
        pipe.delete(self._key(object_id))
        pipe.zrem(self._expiry_key, object_id)
        deleted, _ = pipe.execute()
        return bool(deleted)

    def pop_expired(self, now, limit=100):
        ids = self._sync.eval(_POP_EXPIRED, 1, self._expiry_key, _ms(now), limit, f"{self.prefix}:o:")
        return [i.decode() for i in ids]

    def close(self):
        self._sync.close()
        self._async_clients.clear()

    # Async API.

    async def acreate(self, object_id, data_json, ttl, now):
        keys, args = self._create_args(object_id, data_json, ttl, now)
        if not await self._async().eval(_CREATE, len(keys), *keys, *args):
            raise ValueError(f"object {object_id!r} already exists")
        return Snapshot(object_id, data_json, 0, now, now + ttl, ttl)

    async def aget(self, object_id, now):
        return self._snapshot(object_id, await self._async().hgetall(self._key(object_id)), now)

    async def awrite(self, object_id, *, data_json, update_id, now, max_update_id):
        keys, args = self._write_args(object_id, data_json, update_id, now, max_update_id)
        return self._outcome(await self._async().eval(_WRITE, len(keys), *keys, *args))

    async def adelete(self, object_id):
        client = self._async()
        async with client.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(object_id))
            pipe.zrem(self._expiry_key, object_id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def apop_expired(self, now, limit=100):
        ids = await self._async().eval(_POP_EXPIRED, 1, self._expiry_key, _ms(now), limit, f"{self.prefix}:o:")
        return [i.decode() for i in ids]
