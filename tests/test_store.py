"""The state store contract, run against every backend.

Times are real wall-clock seconds because Redis keys carry absolute expiries,
so each test moves ``now`` forward by hand instead of sleeping.
"""

import threading
import time
import uuid

import pytest

from shoutout.ids import MAX_UPDATE_ID
from shoutout.store.memory import MemoryStore
from shoutout.store.redis import RedisStore

TTL = 60


def _redis_store(redis_url, prefix):
    return RedisStore(url=redis_url, prefix=prefix)


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix owned by one test, whose keys are deleted afterwards."""
    import redis

    prefix = f"shoutout-test-store-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    """A factory of store instances that share one backend (one Redis prefix)."""
    if request.param == "memory":
        store = MemoryStore()
        yield lambda: store
        return

    redis_url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    stores = []

    def make():
        store = _redis_store(redis_url, prefix)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def store(backend):
    return backend()


@pytest.fixture
def t0():
    return time.time()


def new_id():
    return uuid.uuid4().hex


def write(store, object_id, now, *, data_json=None, update_id=None, max_update_id=MAX_UPDATE_ID):
    return store.write(
        object_id, data_json=data_json, update_id=update_id, now=now, max_update_id=max_update_id
    )


# Create and read.


def test_create_starts_at_update_id_zero(store, t0):
    snapshot = store.create("obj1", '{"a":1}', TTL, t0)
    assert snapshot.update_id == 0
    assert snapshot.data == {"a": 1}
    assert snapshot.expires_at == pytest.approx(t0 + TTL, abs=0.002)


def test_get_returns_created_object(store, t0):
    object_id = new_id()
    store.create(object_id, '{"a":1}', TTL, t0)
    snapshot = store.get(object_id, t0 + 1)
    assert snapshot.object_id == object_id
    assert snapshot.data_json == '{"a":1}'
    assert snapshot.update_id == 0
    assert snapshot.ttl == TTL
    assert snapshot.last_write == pytest.approx(t0, abs=0.002)


def test_get_missing_returns_none(store, t0):
    assert store.get(new_id(), t0) is None


def test_get_after_expiry_returns_none(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    assert store.get(object_id, t0 + TTL) is None


def test_create_rejects_live_id(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    with pytest.raises(ValueError):
        store.create(object_id, "1", TTL, t0 + 1)


def test_create_replaces_expired_object(store, t0):
    object_id = new_id()
    store.create(object_id, "1", 1, t0)
    write(store, object_id, t0, data_json="2")
    store.create(object_id, "3", TTL, t0 + 5)
    snapshot = store.get(object_id, t0 + 5)
    assert snapshot.data_json == "3"
    assert snapshot.update_id == 0


def test_get_many_returns_only_live_objects(store, t0):
    live, short, missing = new_id(), new_id(), new_id()
    store.create(live, "1", TTL, t0)
    store.create(short, "2", 1, t0)
    found = store.get_many([live, short, missing], t0 + 2)
    assert set(found) == {live}
    assert found[live].data_json == "1"


def test_get_many_of_nothing_is_empty(store, t0):
    assert store.get_many([], t0) == {}


# Writes.


def test_state_write_replaces_data(store, t0):
    object_id = new_id()
    store.create(object_id, '{"p":0}', TTL, t0)
    outcome = write(store, object_id, t0 + 1, data_json='{"p":50}')
    assert outcome.status == "accepted"
    assert outcome.update_id == 1
    snapshot = store.get(object_id, t0 + 1)
    assert snapshot.data_json == '{"p":50}'
    assert snapshot.update_id == 1


def test_message_write_keeps_data(store, t0):
    object_id = new_id()
    store.create(object_id, '{"p":0}', TTL, t0)
    outcome = write(store, object_id, t0 + 1, data_json=None)
    assert outcome.accepted
    snapshot = store.get(object_id, t0 + 1)
    assert snapshot.data_json == '{"p":0}'
    assert snapshot.update_id == 1


def test_server_assigned_ids_count_up(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    ids = [write(store, object_id, t0, data_json=str(i)).update_id for i in range(5)]
    assert ids == [1, 2, 3, 4, 5]


def test_client_id_is_accepted_when_newer(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    outcome = write(store, object_id, t0, data_json="1", update_id=10)
    assert outcome.status == "accepted"
    assert outcome.update_id == 10


def test_server_id_follows_client_id(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    write(store, object_id, t0, update_id=10)
    assert write(store, object_id, t0).update_id == 11


@pytest.mark.parametrize("stale_id", [1, 4, 5])
def test_stale_write_is_rejected(store, t0, stale_id):
    object_id = new_id()
    store.create(object_id, '"old"', TTL, t0)
    write(store, object_id, t0, data_json='"current"', update_id=5)
    outcome = write(store, object_id, t0 + 1, data_json='"stale"', update_id=stale_id)
    assert outcome.status == "stale"
    assert outcome.update_id == 5
    snapshot = store.get(object_id, t0 + 1)
    assert snapshot.data_json == '"current"'
    assert snapshot.update_id == 5


def test_stale_write_keeps_expiry(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    write(store, object_id, t0, update_id=5)
    write(store, object_id, t0 + 10, update_id=5)
    assert store.get(object_id, t0 + 10).expires_at == pytest.approx(t0 + TTL, abs=0.002)


def test_write_to_missing_object_is_not_found(store, t0):
    outcome = write(store, new_id(), t0, data_json="1")
    assert outcome.status == "not_found"
    assert outcome.update_id == 0


def test_write_to_expired_object_is_not_found(store, t0):
    object_id = new_id()
    store.create(object_id, "null", 1, t0)
    assert write(store, object_id, t0 + 1, data_json="1").status == "not_found"


def test_largest_update_id_is_exact(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    write(store, object_id, t0, update_id=MAX_UPDATE_ID - 1)
    outcome = write(store, object_id, t0)
    assert outcome.status == "accepted"
    assert outcome.update_id == MAX_UPDATE_ID
    assert store.get(object_id, t0).update_id == MAX_UPDATE_ID


def test_server_id_past_maximum_is_exhausted(store, t0):
    object_id = new_id()
    store.create(object_id, '"last"', TTL, t0)
    write(store, object_id, t0, data_json='"last"', update_id=MAX_UPDATE_ID)
    outcome = write(store, object_id, t0 + 1, data_json='"more"')
    assert outcome.status == "exhausted"
    assert outcome.update_id == MAX_UPDATE_ID
    assert store.get(object_id, t0 + 1).data_json == '"last"'


def test_exhausted_honours_max_update_id_argument(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    write(store, object_id, t0, update_id=3)
    assert write(store, object_id, t0, max_update_id=3).status == "exhausted"


# Expiry, TTL and deletion.


def test_write_moves_expiry(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    outcome = write(store, object_id, t0 + 30, data_json="1")
    assert outcome.expires_at == pytest.approx(t0 + 30 + TTL, abs=0.002)
    assert store.get(object_id, t0 + TTL + 10) is not None


def test_message_write_moves_expiry(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    write(store, object_id, t0 + 30)
    assert store.get(object_id, t0 + TTL + 10).last_write == pytest.approx(t0 + 30, abs=0.002)


def test_set_ttl_counts_from_last_write(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    write(store, object_id, t0 + 10)
    snapshot = store.set_ttl(object_id, 120, t0 + 20)
    assert snapshot.ttl == 120
    assert snapshot.expires_at == pytest.approx(t0 + 130, abs=0.002)


def test_set_ttl_applies_to_later_writes(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    store.set_ttl(object_id, 120, t0)
    outcome = write(store, object_id, t0 + 10)
    assert outcome.expires_at == pytest.approx(t0 + 130, abs=0.002)


def test_set_ttl_into_the_past_expires(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    assert store.set_ttl(object_id, 5, t0 + 10) is None
    assert store.get(object_id, t0 + 10) is None


def test_set_ttl_of_missing_object_is_none(store, t0):
    assert store.set_ttl(new_id(), 10, t0) is None


def test_delete_reports_whether_object_existed(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    assert store.delete(object_id) is True
    assert store.delete(object_id) is False


def test_deleted_object_is_gone(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    store.delete(object_id)
    assert store.get(object_id, t0) is None
    assert write(store, object_id, t0).status == "not_found"


def test_deleted_object_is_not_popped(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    store.delete(object_id)
    assert store.pop_expired(t0 + TTL + 1) == []


# Expired ids are handed out once.


def test_pop_expired_returns_expired_ids(store, t0):
    expired = {new_id() for _ in range(3)}
    live = new_id()
    for object_id in expired:
        store.create(object_id, "null", 10, t0)
    store.create(live, "null", TTL, t0)
    assert set(store.pop_expired(t0 + 10)) == expired


def test_pop_expired_hands_each_id_out_once(store, t0):
    object_id = new_id()
    store.create(object_id, "null", 10, t0)
    assert store.pop_expired(t0 + 20) == [object_id]
    assert store.pop_expired(t0 + 30) == []


def test_popped_object_is_removed(store, t0):
    object_id = new_id()
    store.create(object_id, "null", 10, t0)
    store.pop_expired(t0 + 20)
    assert store.delete(object_id) is False


def test_pop_expired_honours_limit(store, t0):
    ids = {new_id() for _ in range(5)}
    for object_id in ids:
        store.create(object_id, "null", 10, t0)
    first = store.pop_expired(t0 + 10, limit=2)
    rest = store.pop_expired(t0 + 10, limit=10)
    assert len(first) == 2
    assert set(first) | set(rest) == ids
    assert len(first) + len(rest) == len(ids)


def test_pop_expired_skips_objects_kept_alive_by_writes(store, t0):
    object_id = new_id()
    store.create(object_id, "null", 10, t0)
    write(store, object_id, t0 + 8)
    assert store.pop_expired(t0 + 12) == []
    assert store.pop_expired(t0 + 18) == [object_id]


def test_pop_expired_follows_shortened_ttl(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    store.set_ttl(object_id, 5, t0 + 1)
    assert store.pop_expired(t0 + 6) == [object_id]


def test_recreated_object_is_popped_once(store, t0):
    object_id = new_id()
    store.create(object_id, "null", 5, t0)
    store.create(object_id, "null", 20, t0 + 10)
    assert store.pop_expired(t0 + 12) == []
    assert store.pop_expired(t0 + 30) == [object_id]
    assert store.pop_expired(t0 + 40) == []


def test_concurrent_sweeps_hand_each_id_out_once(backend, t0):
    stores = [backend(), backend()]
    ids = {new_id() for _ in range(200)}
    for object_id in ids:
        stores[0].create(object_id, "null", 10, t0)

    popped = []
    popped_lock = threading.Lock()
    start = threading.Barrier(len(stores) * 2)

    def sweep(store):
        start.wait()
        while True:
            batch = store.pop_expired(t0 + 20, limit=3)
            if not batch:
                return
            with popped_lock:
                popped.extend(batch)

    threads = [threading.Thread(target=sweep, args=(s,)) for s in stores for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(popped) == len(ids)
    assert set(popped) == ids


@pytest.mark.redis
def test_second_redis_instance_sees_first_instances_objects(redis_url, redis_prefix, t0):
    first, second = _redis_store(redis_url, redis_prefix), _redis_store(redis_url, redis_prefix)
    object_id = new_id()
    first.create(object_id, '"shared"', TTL, t0)
    write(first, object_id, t0, data_json='"written"')
    assert second.get(object_id, t0).data_json == '"written"'
    assert write(second, object_id, t0).update_id == 2
    first.close()
    second.close()


# Concurrency of server-assigned ids.


def test_concurrent_writes_get_distinct_ids(store, t0):
    object_id = new_id()
    store.create(object_id, "null", TTL, t0)
    threads_count, writes_each = 8, 50
    ids = []
    ids_lock = threading.Lock()
    start = threading.Barrier(threads_count)

    def writer(n):
        start.wait()
        mine = []
        for i in range(writes_each):
            outcome = write(store, object_id, t0 + 1, data_json=f'"{n}-{i}"')
            assert outcome.accepted
            mine.append(outcome.update_id)
        with ids_lock:
            ids.extend(mine)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    total = threads_count * writes_each
    assert len(ids) == total
    assert len(set(ids)) == total
    assert store.get(object_id, t0 + 1).update_id == total


# Async twins.


async def test_async_create_and_get(store, t0):
    object_id = new_id()
    created = await store.acreate(object_id, '{"a":1}', TTL, t0)
    fetched = await store.aget(object_id, t0 + 1)
    assert created.update_id == 0
    assert fetched.data == {"a": 1}


async def test_async_create_rejects_live_id(store, t0):
    object_id = new_id()
    await store.acreate(object_id, "null", TTL, t0)
    with pytest.raises(ValueError):
        await store.acreate(object_id, "null", TTL, t0)


async def test_async_get_many(store, t0):
    live, expired = new_id(), new_id()
    await store.acreate(live, "1", TTL, t0)
    await store.acreate(expired, "2", 1, t0)
    found = await store.aget_many([live, expired, new_id()], t0 + 2)
    assert set(found) == {live}


async def test_async_write_statuses(store, t0):
    object_id = new_id()
    await store.acreate(object_id, "null", TTL, t0)
    accepted = await store.awrite(object_id, data_json="1", update_id=None, now=t0, max_update_id=MAX_UPDATE_ID)
    stale = await store.awrite(object_id, data_json="2", update_id=1, now=t0, max_update_id=MAX_UPDATE_ID)
    missing = await store.awrite(new_id(), data_json="3", update_id=None, now=t0, max_update_id=MAX_UPDATE_ID)
    exhausted = await store.awrite(object_id, data_json=None, update_id=None, now=t0, max_update_id=1)
    assert accepted.status == "accepted"
    assert accepted.update_id == 1
    assert stale.status == "stale"
    assert stale.update_id == 1
    assert missing.status == "not_found"
    assert exhausted.status == "exhausted"


async def test_async_set_ttl(store, t0):
    object_id = new_id()
    await store.acreate(object_id, "null", TTL, t0)
    snapshot = await store.aset_ttl(object_id, 120, t0 + 1)
    assert snapshot.expires_at == pytest.approx(t0 + 120, abs=0.002)


async def test_async_delete(store, t0):
    object_id = new_id()
    await store.acreate(object_id, "null", TTL, t0)
    assert await store.adelete(object_id) is True
    assert await store.adelete(object_id) is False


async def test_async_pop_expired_hands_id_out_once(store, t0):
    object_id = new_id()
    await store.acreate(object_id, "null", 10, t0)
    assert await store.apop_expired(t0 + 20) == [object_id]
    assert await store.apop_expired(t0 + 20) == []


def test_memory_store_rejects_options():
    with pytest.raises(TypeError, match="STORE_OPTIONS"):
        MemoryStore(url="redis://127.0.0.1:6379/0")
