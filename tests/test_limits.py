"""Each configurable limit: accepted at its value, rejected just over it, and the connection survives.

REST limits go through DRF's test client. WebSocket limits go through
Channels' ``WebsocketCommunicator`` in front of the full stack that projects
route to (:func:`shoutout.routing.websocket_application`), authenticated
with a DRF token. The rate limiter classes run on a fake clock. Limits are
set small with ``override_settings``, so every test stays fast.
"""

import json

import pytest
import websockets
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import shoutout.routing
from shoutout import api
from shoutout.errors import LimitExceeded
from shoutout.models import StateObject
from shoutout.ratelimit import FloodGuard, TokenBucket
from shoutout.store import get_store
from tests import live_clients

LIST_URL = reverse("shoutout-object-list")
APPLICATION = shoutout.routing.websocket_application()
# Seconds to wait for one frame; generous, so a slow machine does not fail a test.
TIMEOUT = 5
# Close code for a flooding client: the private-use twin of 1008 (policy
# violation), because daphne lets applications send only 1000 and 3000-4999.
CLOSE_FLOODING = 4008

db = pytest.mark.django_db
# The consumer reaches the database from worker threads, which need committed rows.
transactional_db = pytest.mark.django_db(transaction=True)


def limits(**values):
    """Override ``SHOUTOUT`` with ``values``; the test settings' sweeper stays off."""
    return override_settings(SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, **values})


def json_string_of_size(size, char="x"):
    """Return a str whose compact JSON encoding is exactly ``size`` bytes of UTF-8."""
    width = len(char.encode("utf-8"))
    text = char * ((size - 2) // width)
    return text + "x" * (size - 2 - len(text.encode("utf-8")))


def nested_list(depth):
    """Return a list nested ``depth`` levels deep, such as ``[[1]]`` for depth 2."""
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def assert_names_limit(error, setting, limit):
    """Check that an error body or frame states the limit's value and its setting."""
    assert f"SHOUTOUT['{setting}']" in error["message"]
    assert str(limit) in error["message"]


# REST clients.


def token_client(user):
    client = APIClient()
    key = Token.objects.get_or_create(user=user)[0].key
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def as_alice(alice):
    return token_client(alice)


@pytest.fixture
def as_bob(bob):
    return token_client(bob)


def create(client, **body):
    return client.post(LIST_URL, body, format="json")


def object_url(object_id, suffix=""):
    return f"{LIST_URL}{object_id}/{suffix}"


# MAX_TTL


@db
def test_ttl_at_max_ttl_is_accepted(as_alice):
    with limits(DEFAULT_TTL=30, MAX_TTL=60):
        response = create(as_alice, ttl=60)
    assert response.status_code == 201
    assert response.json()["ttl"] == 60


@db
def test_ttl_over_max_ttl_is_rejected(as_alice):
    with limits(DEFAULT_TTL=30, MAX_TTL=60):
        response = create(as_alice, ttl=61)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "ttl"
    assert_names_limit(response.json(), "MAX_TTL", 60)


@db
def test_patch_ttl_over_max_ttl_is_rejected(as_alice):
    with limits(DEFAULT_TTL=30, MAX_TTL=60):
        object_id = create(as_alice).json()["id"]
        response = as_alice.patch(object_url(object_id), {"ttl": 61}, format="json")
    assert response.status_code == 400
    assert_names_limit(response.json(), "MAX_TTL", 60)
    assert StateObject.objects.get(pk=object_id).ttl == 30


@db
def test_token_expiry_at_max_ttl_is_accepted(as_alice):
    with limits(DEFAULT_TTL=30, MAX_TTL=60):
        object_id = create(as_alice).json()["id"]
        response = as_alice.post(object_url(object_id, "tokens/"), {"scope": "read", "expires_in": 60}, format="json")
    assert response.status_code == 201


@db
def test_token_expiry_over_max_ttl_is_rejected(as_alice):
    with limits(DEFAULT_TTL=30, MAX_TTL=60):
        object_id = create(as_alice).json()["id"]
        response = as_alice.post(object_url(object_id, "tokens/"), {"scope": "read", "expires_in": 61}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert_names_limit(response.json(), "MAX_TTL", 60)


# MAX_PAYLOAD_BYTES and MAX_PAYLOAD_DEPTH over REST and the Python API.

WRITES = [("state/", "data"), ("messages/", "payload")]


@db
@pytest.mark.parametrize(("suffix", "field"), WRITES)
def test_rest_payload_at_max_bytes_is_accepted(as_alice, suffix, field):
    with limits(MAX_PAYLOAD_BYTES=100):
        object_id = create(as_alice).json()["id"]
        response = as_alice.post(object_url(object_id, suffix), {field: json_string_of_size(100)}, format="json")
    assert response.status_code == 200


@db
@pytest.mark.parametrize(("suffix", "field"), WRITES)
def test_rest_payload_over_max_bytes_is_too_large(as_alice, suffix, field):
    with limits(MAX_PAYLOAD_BYTES=100):
        object_id = create(as_alice).json()["id"]
        response = as_alice.post(object_url(object_id, suffix), {field: json_string_of_size(101)}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["limit"] == 100
    assert_names_limit(response.json(), "MAX_PAYLOAD_BYTES", 100)


@db
def test_rest_payload_size_counts_utf8_bytes(as_alice):
    with limits(MAX_PAYLOAD_BYTES=100):
        object_id = create(as_alice).json()["id"]
        # 60 characters of two bytes each: under the limit in characters, over it in bytes.
        response = as_alice.post(object_url(object_id, "state/"), {"data": "é" * 60}, format="json")
    assert response.status_code == 413


@db
def test_create_with_data_over_max_bytes_is_too_large(as_alice):
    with limits(MAX_PAYLOAD_BYTES=100):
        response = create(as_alice, data=json_string_of_size(101))
    assert response.status_code == 413
    assert StateObject.objects.count() == 0


@db
def test_rest_body_far_over_max_bytes_is_too_large(as_alice):
    with limits(MAX_PAYLOAD_BYTES=100):
        object_id = create(as_alice).json()["id"]
        body = json.dumps({"data": "x" * 100_000})
        response = as_alice.post(object_url(object_id, "state/"), body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert_names_limit(response.json(), "MAX_PAYLOAD_BYTES", 100)


@db
@pytest.mark.parametrize(("suffix", "field"), WRITES)
def test_rest_payload_at_max_depth_is_accepted(as_alice, suffix, field):
    with limits(MAX_PAYLOAD_DEPTH=3):
        object_id = create(as_alice).json()["id"]
        response = as_alice.post(object_url(object_id, suffix), {field: nested_list(3)}, format="json")
    assert response.status_code == 200


@db
@pytest.mark.parametrize(("suffix", "field"), WRITES)
def test_rest_payload_over_max_depth_is_too_deep(as_alice, suffix, field):
    with limits(MAX_PAYLOAD_DEPTH=3):
        object_id = create(as_alice).json()["id"]
        response = as_alice.post(object_url(object_id, suffix), {field: nested_list(4)}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "payload_too_deep"
    assert response.json()["limit"] == 3
    assert_names_limit(response.json(), "MAX_PAYLOAD_DEPTH", 3)


@db
def test_python_api_payload_over_max_bytes_raises():
    with limits(MAX_PAYLOAD_BYTES=100):
        object_id = api.create().id
        with pytest.raises(ValueError, match=r"MAX_PAYLOAD_BYTES"):
            api.update(object_id, json_string_of_size(101))


@db
def test_python_api_payload_at_max_depth_is_accepted():
    with limits(MAX_PAYLOAD_DEPTH=3):
        object_id = api.create().id
        result = api.publish(object_id, nested_list(3))
    assert result.accepted


# MAX_LIVE_OBJECTS_PER_USER


@db
def test_live_objects_at_limit_are_accepted(as_alice):
    with limits(MAX_LIVE_OBJECTS_PER_USER=2):
        statuses = [create(as_alice).status_code for _ in range(2)]
    assert statuses == [201, 201]


@db
def test_live_objects_over_limit_are_rejected(as_alice):
    with limits(MAX_LIVE_OBJECTS_PER_USER=2):
        for _ in range(2):
            create(as_alice)
        response = create(as_alice)
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_objects"
    assert response.json()["limit"] == 2
    assert_names_limit(response.json(), "MAX_LIVE_OBJECTS_PER_USER", 2)
    assert StateObject.objects.count() == 2


@db
def test_live_object_limit_is_per_user(as_alice, as_bob):
    with limits(MAX_LIVE_OBJECTS_PER_USER=1):
        create(as_alice)
        response = create(as_bob)
    assert response.status_code == 201


@db
def test_deleted_object_frees_a_slot(as_alice):
    with limits(MAX_LIVE_OBJECTS_PER_USER=1):
        object_id = create(as_alice).json()["id"]
        as_alice.delete(object_url(object_id))
        response = create(as_alice)
    assert response.status_code == 201


@db
def test_object_expired_in_store_frees_a_slot(as_alice):
    with limits(MAX_LIVE_OBJECTS_PER_USER=1):
        object_id = create(as_alice).json()["id"]
        get_store().delete(object_id)  # expired in the store, row not swept yet
        response = create(as_alice)
    assert response.status_code == 201


@db
def test_live_object_limit_none_means_no_limit(as_alice):
    with limits(MAX_LIVE_OBJECTS_PER_USER=None):
        statuses = {create(as_alice).status_code for _ in range(5)}
    assert statuses == {201}


@db
def test_python_api_create_over_live_object_limit_raises(alice):
    with limits(MAX_LIVE_OBJECTS_PER_USER=1):
        api.create(owner=alice)
        with pytest.raises(LimitExceeded) as raised:
            api.create(owner=alice)
    assert raised.value.code == "too_many_objects"


@db
def test_rejected_create_takes_no_slot(as_alice):
    with limits(MAX_LIVE_OBJECTS_PER_USER=1):
        rejected = create(as_alice, readers=["nobody"])
        response = create(as_alice)
    assert rejected.status_code == 400
    assert response.status_code == 201


# CREATE_RATE


@db
def test_creations_at_create_rate_are_accepted(as_alice):
    with limits(CREATE_RATE="2/min"):
        statuses = [create(as_alice).status_code for _ in range(2)]
    assert statuses == [201, 201]


@db
def test_creation_over_create_rate_is_throttled(as_alice):
    with limits(CREATE_RATE="2/min"):
        for _ in range(2):
            create(as_alice)
        response = create(as_alice)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert_names_limit(response.json(), "CREATE_RATE", "2/min")
    assert "Retry-After" in response.headers
    assert StateObject.objects.count() == 2


@db
def test_create_rate_is_per_user(as_alice, as_bob):
    with limits(CREATE_RATE="1/min"):
        create(as_alice)
        response = create(as_bob)
    assert response.status_code == 201


@db
def test_create_rate_does_not_limit_writes(as_alice):
    with limits(CREATE_RATE="1/min"):
        object_id = create(as_alice).json()["id"]
        statuses = {as_alice.post(object_url(object_id, "state/"), {"data": i}, format="json").status_code
                    for i in range(3)}
    assert statuses == {200}


@db
def test_create_rate_none_means_no_throttle(as_alice):
    with limits(CREATE_RATE=None):
        statuses = {create(as_alice).status_code for _ in range(5)}
    assert statuses == {201}


# WebSocket limits.


def token_header(user):
    key = Token.objects.get_or_create(user=user)[0].key
    return [(b"authorization", f"Token {key}".encode())]


@pytest.fixture
async def empty_layer():
    await get_channel_layer().flush()


@pytest.fixture
async def connect(empty_layer):
    """Return a function that opens an authenticated socket; all of them close at teardown."""
    opened = []

    async def open_socket(user):
        headers = await database_sync_to_async(token_header)(user)
        communicator = WebsocketCommunicator(APPLICATION, "/ws/shoutout/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        opened.append(communicator)
        return communicator

    yield open_socket
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


async def send(socket, frame):
    await socket.send_to(text_data=json.dumps(frame, ensure_ascii=False))


async def receive(socket):
    return await socket.receive_json_from(timeout=TIMEOUT)


async def subscribe(socket, object_id):
    await send(socket, {"type": "subscribe", "id": object_id, "ref": "sub"})
    assert (await receive(socket))["type"] == "subscribed"
    assert (await receive(socket))["type"] == "snapshot"


async def watched_socket(connect, user):
    """Open a socket for ``user`` subscribed to a fresh object; return ``(socket, object_id)``."""
    socket = await connect(user)
    watched = (await api.acreate(owner=user)).id
    await subscribe(socket, watched)
    return socket, watched


async def assert_still_served(socket, watched):
    """Check that the socket replies to a ping and still receives updates of ``watched``."""
    await send(socket, {"type": "ping", "ref": "alive"})
    assert await receive(socket) == {"type": "pong", "ref": "alive"}
    result = await api.aupdate(watched, {"still": "subscribed"})
    frame = await receive(socket)
    assert frame["type"] == "state"
    assert frame["id"] == watched
    assert frame["update_id"] == result.update_id


def update_frame_of_size(object_id, size, char="x"):
    """Return an update frame whose JSON text is exactly ``size`` bytes of UTF-8."""
    frame = {"type": "update", "id": object_id, "data": ""}
    overhead = len(json.dumps(frame, ensure_ascii=False).encode("utf-8")) - 2
    frame["data"] = json_string_of_size(size - overhead, char)
    assert len(json.dumps(frame, ensure_ascii=False).encode("utf-8")) == size
    return frame


# MAX_FRAME_BYTES


@transactional_db
async def test_frame_at_max_frame_bytes_is_accepted(connect, alice):
    with limits(MAX_FRAME_BYTES=200):
        socket = await connect(alice)
        target = (await api.acreate(owner=alice)).id
        await send(socket, update_frame_of_size(target, 200))
        answer = await receive(socket)
    assert answer["type"] == "ack"


@transactional_db
@pytest.mark.parametrize("char", ["x", "é", "😀"])
async def test_frame_over_max_frame_bytes_is_rejected(connect, alice, char):
    with limits(MAX_FRAME_BYTES=200):
        socket, watched = await watched_socket(connect, alice)
        target = (await api.acreate(owner=alice)).id
        await send(socket, update_frame_of_size(target, 201, char))
        error = await receive(socket)

        assert error["type"] == "error"
        assert error["code"] == "frame_too_large"
        assert error["limit"] == 200
        assert_names_limit(error, "MAX_FRAME_BYTES", 200)
        assert (await api.aget(target))[1] == 0
        await assert_still_served(socket, watched)


# MAX_PAYLOAD_BYTES and MAX_PAYLOAD_DEPTH over the WebSocket.


@transactional_db
@pytest.mark.parametrize("kind", ["update", "message"])
async def test_ws_payload_at_max_bytes_is_accepted(connect, alice, kind):
    field = "data" if kind == "update" else "payload"
    with limits(MAX_PAYLOAD_BYTES=100):
        socket = await connect(alice)
        target = (await api.acreate(owner=alice)).id
        await send(socket, {"type": kind, "id": target, field: json_string_of_size(100)})
        answer = await receive(socket)
    assert answer["type"] == "ack"


@transactional_db
@pytest.mark.parametrize("kind", ["update", "message"])
async def test_ws_payload_over_max_bytes_is_rejected(connect, alice, kind):
    field = "data" if kind == "update" else "payload"
    with limits(MAX_PAYLOAD_BYTES=100):
        socket, watched = await watched_socket(connect, alice)
        target = (await api.acreate(owner=alice)).id
        await send(socket, {"type": kind, "id": target, field: json_string_of_size(101), "ref": 3})
        error = await receive(socket)

        assert error["code"] == "payload_too_large"
        assert error["id"] == target
        assert error["ref"] == 3
        assert error["limit"] == 100
        assert_names_limit(error, "MAX_PAYLOAD_BYTES", 100)
        await assert_still_served(socket, watched)


@transactional_db
async def test_ws_payload_at_max_depth_is_accepted(connect, alice):
    with limits(MAX_PAYLOAD_DEPTH=3):
        socket = await connect(alice)
        target = (await api.acreate(owner=alice)).id
        await send(socket, {"type": "update", "id": target, "data": nested_list(3)})
        answer = await receive(socket)
    assert answer["type"] == "ack"


@transactional_db
async def test_ws_payload_over_max_depth_is_rejected(connect, alice):
    with limits(MAX_PAYLOAD_DEPTH=3):
        socket, watched = await watched_socket(connect, alice)
        target = (await api.acreate(owner=alice)).id
        await send(socket, {"type": "update", "id": target, "data": nested_list(4)})
        error = await receive(socket)

        assert error["code"] == "payload_too_deep"
        assert error["limit"] == 3
        assert_names_limit(error, "MAX_PAYLOAD_DEPTH", 3)
        await assert_still_served(socket, watched)


# MAX_SUBSCRIPTIONS_PER_CONNECTION


@transactional_db
async def test_subscriptions_at_limit_are_accepted(connect, alice):
    with limits(MAX_SUBSCRIPTIONS_PER_CONNECTION=2):
        socket = await connect(alice)
        for _ in range(2):
            await subscribe(socket, (await api.acreate(owner=alice)).id)
        await send(socket, {"type": "ping"})
        answer = await receive(socket)
    assert answer["type"] == "pong"


@transactional_db
async def test_subscription_over_limit_is_rejected(connect, alice):
    with limits(MAX_SUBSCRIPTIONS_PER_CONNECTION=2):
        socket, watched = await watched_socket(connect, alice)
        await subscribe(socket, (await api.acreate(owner=alice)).id)
        extra = (await api.acreate(owner=alice)).id
        await send(socket, {"type": "subscribe", "id": extra, "ref": "third"})
        error = await receive(socket)

        assert error["code"] == "too_many_subscriptions"
        assert error["id"] == extra
        assert error["ref"] == "third"
        assert error["limit"] == 2
        assert_names_limit(error, "MAX_SUBSCRIPTIONS_PER_CONNECTION", 2)
        await api.aupdate(extra, {"not": "subscribed"})  # must not reach the socket
        await assert_still_served(socket, watched)


@transactional_db
async def test_resubscribe_at_limit_is_accepted(connect, alice):
    with limits(MAX_SUBSCRIPTIONS_PER_CONNECTION=1):
        socket, watched = await watched_socket(connect, alice)
        await send(socket, {"type": "subscribe", "id": watched, "ref": "again"})
        answer = await receive(socket)
    assert answer == {"type": "subscribed", "id": watched, "ref": "again"}


@transactional_db
async def test_unsubscribe_frees_a_subscription(connect, alice):
    with limits(MAX_SUBSCRIPTIONS_PER_CONNECTION=1):
        socket, watched = await watched_socket(connect, alice)
        await send(socket, {"type": "unsubscribe", "id": watched})
        assert (await receive(socket))["type"] == "unsubscribed"
        other = (await api.acreate(owner=alice)).id
        await subscribe(socket, other)
        await assert_still_served(socket, other)


# WRITE_RATE_PER_CONNECTION


async def send_burst(socket, object_id, count):
    """Send ``count`` update frames at once and return the reply frames in order."""
    for number in range(count):
        await send(socket, {"type": "update", "id": object_id, "data": number, "ref": number})
    return [await receive(socket) for _ in range(count)]


@transactional_db
async def test_write_burst_at_rate_is_accepted(connect, alice):
    with limits(WRITE_RATE_PER_CONNECTION=5):
        socket = await connect(alice)
        target = (await api.acreate(owner=alice)).id
        answers = await send_burst(socket, target, 5)
    assert [answer["type"] for answer in answers] == ["ack"] * 5


@transactional_db
async def test_write_burst_over_rate_is_rate_limited(connect, alice):
    # The bucket starts with 2 tokens and refills 2 per second, so a burst of
    # 30 frames is rejected in part unless handling it takes over 14 seconds.
    with limits(WRITE_RATE_PER_CONNECTION=2, MAX_REJECTED_FRAMES=100):
        socket, watched = await watched_socket(connect, alice)
        target = (await api.acreate(owner=alice)).id
        answers = await send_burst(socket, target, 30)
        errors = [answer for answer in answers if answer["type"] == "error"]
        acks = [answer for answer in answers if answer["type"] == "ack"]

        assert len(acks) >= 2
        assert errors
        assert {error["code"] for error in errors} == {"rate_limited"}
        assert errors[0]["limit"] == 2
        assert errors[0]["id"] == target
        assert_names_limit(errors[0], "WRITE_RATE_PER_CONNECTION", 2)
        assert (await api.aget(target))[1] == len(acks)
        await assert_still_served(socket, watched)


@transactional_db
async def test_write_rate_is_per_connection(connect, alice):
    with limits(WRITE_RATE_PER_CONNECTION=2, MAX_REJECTED_FRAMES=100):
        first = await connect(alice)
        second = await connect(alice)
        target = (await api.acreate(owner=alice)).id
        await send_burst(first, target, 10)
        answers = await send_burst(second, target, 2)
    assert [answer["type"] for answer in answers] == ["ack", "ack"]


# MAX_REJECTED_FRAMES


async def receive_until_close(socket):
    """Return the text frames the socket sends before it closes, and the close code."""
    texts = []
    while True:
        output = await socket.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return texts, output.get("code")
        texts.append(json.loads(output["text"]))


@transactional_db
async def test_rejected_frames_at_limit_keep_the_socket(connect, alice):
    with limits(MAX_REJECTED_FRAMES=3, MAX_SUBSCRIPTIONS_PER_CONNECTION=1):
        socket, watched = await watched_socket(connect, alice)
        for _ in range(3):
            await send(socket, {"type": "subscribe", "id": (await api.acreate(owner=alice)).id})
            assert (await receive(socket))["code"] == "too_many_subscriptions"
        await assert_still_served(socket, watched)


@transactional_db
async def test_flooding_client_is_closed(connect, alice):
    with limits(MAX_REJECTED_FRAMES=3):
        socket, _ = await watched_socket(connect, alice)
        for _ in range(4):
            await send(socket, {"type": "no-such-frame"})
        errors, code = await receive_until_close(socket)
    assert code == CLOSE_FLOODING
    assert [error["code"] for error in errors] == ["unknown_type"] * 4


@transactional_db
async def test_flooding_client_is_answered_no_more_after_close(connect, alice, caplog):
    with limits(MAX_REJECTED_FRAMES=3):
        socket = await connect(alice)
        for _ in range(10):
            await send(socket, {"type": "no-such-frame"})
        await receive_until_close(socket)
        await send(socket, {"type": "ping"})
        silent = await socket.receive_nothing(timeout=0.5)
    closing_lines = [r for r in caplog.records if r.name == "shoutout.consumer" and "Closing" in r.message]
    assert silent
    assert len(closing_lines) == 1


@transactional_db
async def test_rate_limited_frames_count_as_rejected(connect, alice):
    with limits(WRITE_RATE_PER_CONNECTION=1, MAX_REJECTED_FRAMES=3):
        socket = await connect(alice)
        target = (await api.acreate(owner=alice)).id
        for number in range(10):
            await send(socket, {"type": "update", "id": target, "data": number})
        answers, code = await receive_until_close(socket)
    assert code == CLOSE_FLOODING
    assert [answer["type"] for answer in answers].count("error") == 4


@pytest.mark.server
async def test_live_server_closes_flooding_client(live_server):
    """The default MAX_REJECTED_FRAMES (50) on a real daphne process."""
    async with live_clients.connect(live_server) as ws:
        for _ in range(51):
            await live_clients.send(ws, {"type": "no-such-frame"})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await live_clients.receive(ws)
    assert closed.value.rcvd.code == CLOSE_FLOODING


# The rate limiter classes on a fake clock.


class FakeClock:
    """A ``timer`` for the rate limiters; its time moves only in :meth:`advance`."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def take(bucket, count):
    return [bucket.allow() for _ in range(count)]


def test_bucket_allows_burst_of_rate():
    bucket = TokenBucket(3, timer=FakeClock())
    assert take(bucket, 3) == [True, True, True]


def test_bucket_rejects_over_rate():
    bucket = TokenBucket(3, timer=FakeClock())
    take(bucket, 3)
    assert bucket.allow() is False


def test_bucket_refills_at_rate():
    clock = FakeClock()
    bucket = TokenBucket(4, timer=clock)
    take(bucket, 4)
    clock.advance(0.5)
    assert take(bucket, 3) == [True, True, False]


def test_bucket_partial_token_is_not_enough():
    clock = FakeClock()
    bucket = TokenBucket(2, timer=clock)
    take(bucket, 2)
    clock.advance(0.4)
    assert bucket.allow() is False


def test_bucket_burst_is_capped_at_rate_after_idle():
    clock = FakeClock()
    bucket = TokenBucket(2, timer=clock)
    clock.advance(3600)
    assert take(bucket, 3) == [True, True, False]


def test_bucket_rejected_calls_take_no_token():
    clock = FakeClock()
    bucket = TokenBucket(1, timer=clock)
    bucket.allow()
    take(bucket, 5)
    clock.advance(1)
    assert bucket.allow() is True


def test_flood_guard_at_limit_keeps_client():
    guard = FloodGuard(3, timer=FakeClock())
    assert [guard.record() for _ in range(3)] == [False, False, False]


def test_flood_guard_over_limit_gives_up():
    guard = FloodGuard(3, timer=FakeClock())
    for _ in range(3):
        guard.record()
    assert guard.record() is True


def test_flood_guard_forgets_rejections_outside_window():
    clock = FakeClock()
    guard = FloodGuard(3, window=10.0, timer=clock)
    for _ in range(3):
        guard.record()
        clock.advance(4)
    # The first rejection is 12 seconds old now, so the window holds three.
    assert guard.record() is False


def test_flood_guard_counts_rejections_inside_window():
    clock = FakeClock()
    guard = FloodGuard(3, window=10.0, timer=clock)
    for _ in range(3):
        guard.record()
        clock.advance(3)
    assert guard.record() is True


def test_flood_guard_window_excludes_its_start():
    clock = FakeClock()
    guard = FloodGuard(1, window=10.0, timer=clock)
    guard.record()
    clock.advance(10)
    assert guard.record() is False
