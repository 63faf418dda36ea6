"""Expiry: sweeps, TTL extension by writes, TTL changes, and the shoutout_expire command."""

import asyncio
import json
import time
import uuid
from datetime import datetime
from io import StringIO

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from rest_framework.test import APIClient

import shoutout.routing
from shoutout import expiry, operations
from shoutout.errors import NotFound, StaleUpdate
from shoutout.models import StateObject
from shoutout.store import get_store

APPLICATION = AuthMiddlewareStack(URLRouter(shoutout.routing.websocket_urlpatterns))
# Seconds to wait for one frame or one background sweep.
TIMEOUT = 5
SWEEPER_TASK_NAME = "shoutout-expiry-sweeper"


class Clock:
    """The time that ``shoutout.operations.now()`` returns, set by the test."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock(float(int(time.time())))
    monkeypatch.setattr(operations, "now", fake)
    return fake


@pytest.fixture(params=["memory", "redis"])
def store_backend(request, settings):
    """Run the test once with each state store; the Redis one under a prefix of its own."""
    if request.param == "memory":
        yield "memory"
        return

    redis_url = request.getfixturevalue("redis_url")
    prefix = f"shoutout-test-expiry-{uuid.uuid4().hex}"
    settings.SHOUTOUT = {
        "EXPIRY_SWEEP_INTERVAL": 0,
        "STORE": "shoutout.store.redis.RedisStore",
        "STORE_OPTIONS": {"url": redis_url, "prefix": prefix},
    }
    yield "redis"
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def sweep(now):
    return async_to_sync(expiry.sweep)(now=now)


def create(ttl=60, data=None, owner=None):
    row, _ = operations.create(ttl=ttl, data=data, owner=owner)
    return row


def is_stored(object_id, now):
    return get_store().get(object_id, now) is not None


# Sweeps.


@pytest.mark.django_db
def test_sweep_removes_expired_row_and_store_entry(clock, store_backend):
    obj = create(ttl=60)

    expired = sweep(clock.now + 61)

    assert expired == [obj.id]
    assert not StateObject.objects.filter(pk=obj.id).exists()
    assert not is_stored(obj.id, clock.now)


@pytest.mark.django_db
def test_sweep_keeps_live_objects(clock, store_backend):
    short = create(ttl=10)
    long = create(ttl=100)

    expired = sweep(clock.now + 50)

    assert expired == [short.id]
    assert StateObject.objects.filter(pk=long.id).exists()
    assert is_stored(long.id, clock.now + 50)


@pytest.mark.django_db
def test_sweep_at_expiry_time_expires(clock, store_backend):
    obj = create(ttl=60)

    expired = sweep(clock.now + 60)

    assert expired == [obj.id]


@pytest.mark.django_db
def test_sweep_handles_more_than_one_batch(clock, store_backend):
    ids = {create(ttl=5).id for _ in range(150)}

    expired = sweep(clock.now + 6)

    assert sorted(expired) == sorted(ids)
    assert StateObject.objects.count() == 0


@pytest.mark.django_db
def test_second_sweep_finds_nothing(clock, store_backend):
    create(ttl=5)
    sweep(clock.now + 6)

    assert sweep(clock.now + 6) == []


@pytest.mark.django_db
def test_deleted_object_is_not_swept(clock, store_backend):
    obj = create(ttl=5)
    operations.delete(obj.id)

    assert sweep(clock.now + 6) == []


# TTL: the expiry is the last write plus the TTL.


@pytest.mark.django_db
def test_create_sets_expiry_to_creation_plus_ttl(clock, store_backend):
    obj = create(ttl=60)

    snapshot = get_store().get(obj.id, clock.now)

    assert snapshot.expires_at == clock.now + 60


@pytest.mark.django_db
def test_each_write_extends_expiry(clock, store_backend):
    obj = create(ttl=60)

    for step in range(1, 4):
        clock.now += 40
        operations.write(obj.id, "state", {"step": step})
        snapshot = get_store().get(obj.id, clock.now)
        assert snapshot.last_write == clock.now
        assert snapshot.expires_at == clock.now + 60


@pytest.mark.django_db
def test_message_extends_expiry(clock, store_backend):
    obj = create(ttl=60)
    clock.now += 40

    outcome = operations.write(obj.id, "message", "still working")

    assert outcome.expires_at == clock.now + 60


@pytest.mark.django_db
def test_written_object_survives_its_original_expiry(clock, store_backend):
    obj = create(ttl=60)
    clock.now += 50
    operations.write(obj.id, "state", 1)

    assert sweep(clock.now + 20) == []
    assert sweep(clock.now + 61) == [obj.id]


@pytest.mark.django_db
def test_rejected_write_does_not_extend_expiry(clock, store_backend):
    obj = create(ttl=60)
    operations.write(obj.id, "state", 1, update_id=5)
    clock.now += 30

    with pytest.raises(StaleUpdate):
        operations.write(obj.id, "state", 2, update_id=5)

    assert get_store().get(obj.id, clock.now).expires_at == clock.now - 30 + 60


@pytest.mark.django_db
def test_write_after_expiry_is_not_found(clock, store_backend):
    obj = create(ttl=60)
    clock.now += 61

    with pytest.raises(NotFound):
        operations.write(obj.id, "state", 1)


# TTL changes through the REST API.


@pytest.fixture
def alice_client(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def detail_url(object_id):
    return f"/shoutout/api/objects/{object_id}/"


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.mark.django_db
def test_patch_ttl_sets_expiry_from_last_write(clock, alice, alice_client):
    obj = create(ttl=600, owner=alice)
    clock.now += 100
    operations.write(obj.id, "state", 1)
    write_time = clock.now
    clock.now += 30

    response = alice_client.patch(detail_url(obj.id), {"ttl": 200}, format="json")

    assert response.status_code == 200
    assert response.json()["ttl"] == 200
    assert parse_time(response.json()["expires_at"]) == write_time + 200


@pytest.mark.django_db
def test_patch_ttl_already_passed_expires_object(clock, alice, alice_client):
    obj = create(ttl=600, owner=alice)
    clock.now += 100

    response = alice_client.patch(detail_url(obj.id), {"ttl": 50}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not StateObject.objects.filter(pk=obj.id).exists()
    assert not is_stored(obj.id, clock.now)


@pytest.mark.django_db
def test_patch_ttl_is_stored_on_the_row(clock, alice, alice_client):
    obj = create(ttl=600, owner=alice)

    alice_client.patch(detail_url(obj.id), {"ttl": 300}, format="json")

    assert StateObject.objects.get(pk=obj.id).ttl == 300


@pytest.mark.django_db
def test_patched_ttl_applies_to_later_writes(clock, alice, alice_client):
    obj = create(ttl=600, owner=alice)
    alice_client.patch(detail_url(obj.id), {"ttl": 30}, format="json")
    clock.now += 20

    outcome = operations.write(obj.id, "state", 1)

    assert outcome.expires_at == clock.now + 30


# Receivers learn about expiry.


async def open_socket():
    communicator = WebsocketCommunicator(APPLICATION, "/ws/shoutout/")
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def send(communicator, frame):
    await communicator.send_to(text_data=json.dumps(frame))


async def receive(communicator):
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def subscribe(communicator, object_id):
    await send(communicator, {"type": "subscribe", "id": object_id})
    assert (await receive(communicator))["type"] == "subscribed"
    assert (await receive(communicator))["type"] == "snapshot"


async def create_public(ttl):
    row, _ = await operations.acreate(ttl=ttl, security="public")
    return row


@pytest.fixture
async def sockets():
    """Open sockets with ``await sockets()``; all close at teardown."""
    await get_channel_layer().flush()
    opened = []

    async def open_one():
        communicator = await open_socket()
        opened.append(communicator)
        return communicator

    yield open_one
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


async def assert_next_is_pong(communicator):
    await send(communicator, {"type": "ping", "ref": "barrier"})
    assert await receive(communicator) == {"type": "pong", "ref": "barrier"}


@pytest.mark.django_db(transaction=True)
async def test_sweep_sends_expired_once(clock, sockets):
    obj = await create_public(ttl=60)
    first, second = await sockets(), await sockets()
    await subscribe(first, obj.id)
    await subscribe(second, obj.id)

    await expiry.sweep(now=clock.now + 61)
    await expiry.sweep(now=clock.now + 61)

    for communicator in (first, second):
        assert await receive(communicator) == {"type": "expired", "id": obj.id}
        await assert_next_is_pong(communicator)


@pytest.mark.django_db(transaction=True)
async def test_concurrent_sweeps_expire_each_object_once(clock, store_backend, sockets):
    ids = {(await create_public(ttl=5)).id for _ in range(20)}

    results = await asyncio.gather(*(expiry.sweep(now=clock.now + 6) for _ in range(4)))

    swept = [object_id for result in results for object_id in result]
    assert sorted(swept) == sorted(ids)


@pytest.mark.django_db(transaction=True)
async def test_expired_subscription_gets_no_later_frames(clock, sockets):
    obj = await create_public(ttl=60)
    socket = await sockets()
    await subscribe(socket, obj.id)
    await expiry.sweep(now=clock.now + 61)
    await receive(socket)

    await send(socket, {"type": "subscribe", "id": obj.id})

    assert (await receive(socket))["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
async def test_patch_shorter_ttl_sends_expired(clock, alice, alice_client, sockets):
    obj = await create_public(ttl=600)
    await database_sync_to_async(StateObject.objects.filter(pk=obj.id).update)(owner=alice)
    socket = await sockets()
    await subscribe(socket, obj.id)
    clock.now += 100

    response = await database_sync_to_async(alice_client.patch)(detail_url(obj.id), {"ttl": 50}, format="json")

    assert response.status_code == 404
    assert await receive(socket) == {"type": "expired", "id": obj.id}


@pytest.mark.django_db(transaction=True)
async def test_background_sweeper_sends_expired(settings, sockets):
    settings.SHOUTOUT = {"EXPIRY_SWEEP_INTERVAL": 0.05}
    obj = await create_public(ttl=1)
    socket = await sockets()

    try:
        await subscribe(socket, obj.id)
        frame = await socket.receive_json_from(timeout=TIMEOUT)
    finally:
        for task in asyncio.all_tasks():
            if task.get_name() == SWEEPER_TASK_NAME:
                task.cancel()

    assert frame == {"type": "expired", "id": obj.id}


# The management command.


@pytest.mark.django_db
def test_expire_command_expires_due_objects(clock):
    clock.now = time.time() - 1000
    due = create(ttl=60)
    clock.now = time.time()
    live = create(ttl=600)
    out = StringIO()

    call_command("shoutout_expire", stdout=out)

    assert out.getvalue().strip() == "Expired 1 state objects."
    assert not StateObject.objects.filter(pk=due.id).exists()
    assert StateObject.objects.filter(pk=live.id).exists()


@pytest.mark.django_db
def test_expire_command_with_nothing_due(clock):
    create(ttl=600)
    out = StringIO()

    call_command("shoutout_expire", stdout=out)

    assert out.getvalue().strip() == "Expired 0 state objects."
