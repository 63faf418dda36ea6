"""StateConsumer over Channels' WebsocketCommunicator, behind the session auth stack."""

import json

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

import shoutout.routing
from shoutout import api, expiry, operations

pytestmark = pytest.mark.django_db(transaction=True)

APPLICATION = AuthMiddlewareStack(URLRouter(shoutout.routing.websocket_urlpatterns))
# Seconds to wait for one frame; generous, so a slow machine does not fail a test.
TIMEOUT = 5
MISSING_ID = "A" * 22


def session_headers(user):
    """Log ``user`` in through Django's session machinery and return the cookie header."""
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return [(b"cookie", f"{name}={client.cookies[name].value}".encode())]


@pytest.fixture(autouse=True)
async def empty_layer():
    await get_channel_layer().flush()


@pytest.fixture
async def connect():
    """Return a function that opens a socket, as ``user`` or anonymously; all close at teardown."""
    opened = []

    async def open_socket(user=None):
        headers = [] if user is None else await database_sync_to_async(session_headers)(user)
        communicator = WebsocketCommunicator(APPLICATION, "/ws/shoutout/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        opened.append(communicator)
        return communicator

    yield open_socket
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


async def send(communicator, frame):
    await communicator.send_to(text_data=json.dumps(frame))


async def receive(communicator):
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def subscribe(communicator, object_id, ref="sub"):
    """Subscribe and return the snapshot frame."""
    await send(communicator, {"type": "subscribe", "id": object_id, "ref": ref})
    subscribed = await receive(communicator)
    assert subscribed == {"type": "subscribed", "id": object_id, "ref": ref}
    return await receive(communicator)


async def assert_alive(communicator):
    """Check that the socket still sends a pong for a ping."""
    await send(communicator, {"type": "ping", "ref": "alive"})
    assert await receive(communicator) == {"type": "pong", "ref": "alive"}


async def create(owner, security="private", data=None, ttl=None):
    return await api.acreate(owner=owner, security=security, data=data, ttl=ttl)


# Subscribing.


async def test_subscribe_sends_subscribed_then_snapshot(connect, alice):
    obj = await create(alice, data={"pct": 0})
    socket = await connect(alice)

    await send(socket, {"type": "subscribe", "id": obj.id, "ref": 7})
    subscribed = await receive(socket)
    snapshot = await receive(socket)

    assert subscribed == {"type": "subscribed", "id": obj.id, "ref": 7}
    assert snapshot["type"] == "snapshot"
    assert snapshot["id"] == obj.id
    assert snapshot["update_id"] == 0
    assert snapshot["data"] == {"pct": 0}
    assert isinstance(snapshot["expires_at"], float)


async def test_snapshot_carries_latest_update(connect, alice):
    obj = await create(alice, data={"pct": 0})
    await api.aupdate(obj.id, {"pct": 40})
    socket = await connect(alice)

    snapshot = await subscribe(socket, obj.id)

    assert snapshot["update_id"] == 1
    assert snapshot["data"] == {"pct": 40}


async def test_second_subscribe_sends_no_snapshot(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)
    await subscribe(socket, obj.id)

    await send(socket, {"type": "subscribe", "id": obj.id, "ref": "again"})
    subscribed = await receive(socket)
    await send(socket, {"type": "ping", "ref": "after"})
    next_frame = await receive(socket)

    assert subscribed == {"type": "subscribed", "id": obj.id, "ref": "again"}
    assert next_frame == {"type": "pong", "ref": "after"}


async def test_anonymous_reads_public_object(connect, alice):
    obj = await create(alice, security="public", data="hi")
    socket = await connect()

    snapshot = await subscribe(socket, obj.id)

    assert snapshot["data"] == "hi"


# Writes over the socket.


async def test_update_from_owner_is_acked_and_forwarded(connect, alice):
    obj = await create(alice, data={"pct": 0})
    writer = await connect(alice)
    receiver = await connect(alice)
    await subscribe(receiver, obj.id)

    await send(writer, {"type": "update", "id": obj.id, "data": {"pct": 50}, "ref": "w1"})
    ack = await receive(writer)
    state = await receive(receiver)

    assert ack == {"type": "ack", "id": obj.id, "ref": "w1", "accepted_update_id": 1}
    assert state == {"type": "state", "id": obj.id, "update_id": 1, "data": {"pct": 50}}


async def test_message_from_owner_is_acked_and_forwarded(connect, alice):
    obj = await create(alice, data={"pct": 0})
    writer = await connect(alice)
    receiver = await connect(alice)
    await subscribe(receiver, obj.id)

    await send(writer, {"type": "message", "id": obj.id, "payload": {"note": "half"}, "ref": "m1"})
    ack = await receive(writer)
    message = await receive(receiver)

    assert ack == {"type": "ack", "id": obj.id, "ref": "m1", "accepted_update_id": 1}
    assert message == {"type": "message", "id": obj.id, "update_id": 1, "payload": {"note": "half"}}


async def test_message_leaves_state_unchanged(connect, alice):
    obj = await create(alice, data={"pct": 10})
    writer = await connect(alice)
    await send(writer, {"type": "message", "id": obj.id, "payload": "note"})
    await receive(writer)

    snapshot = await subscribe(await connect(alice), obj.id)

    assert snapshot["update_id"] == 1
    assert snapshot["data"] == {"pct": 10}


async def test_writer_subscribed_gets_ack_and_state(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)
    await subscribe(socket, obj.id)

    await send(socket, {"type": "update", "id": obj.id, "data": 1, "ref": "w"})
    frames = [await receive(socket), await receive(socket)]

    assert sorted(frame["type"] for frame in frames) == ["ack", "state"]


async def test_update_with_own_update_id_is_accepted(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)

    await send(socket, {"type": "update", "id": obj.id, "data": 1, "update_id": 10})
    ack = await receive(socket)

    assert ack == {"type": "ack", "id": obj.id, "accepted_update_id": 10}


async def test_stale_update_is_rejected_and_not_forwarded(connect, alice):
    obj = await create(alice)
    writer = await connect(alice)
    receiver = await connect(alice)
    await subscribe(receiver, obj.id)
    await send(writer, {"type": "update", "id": obj.id, "data": "five", "update_id": 5})
    await receive(writer)

    await send(writer, {"type": "update", "id": obj.id, "data": "old", "update_id": 5, "ref": "s"})
    error = await receive(writer)
    await send(writer, {"type": "update", "id": obj.id, "data": "six"})
    await receive(writer)
    forwarded = [await receive(receiver), await receive(receiver)]

    assert error["type"] == "error"
    assert error["code"] == "stale"
    assert error["current_update_id"] == 5
    assert error["id"] == obj.id
    assert error["ref"] == "s"
    assert [frame["data"] for frame in forwarded] == ["five", "six"]


async def test_stale_message_is_rejected(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)
    await api.aupdate(obj.id, 1, update_id=3)

    await send(socket, {"type": "message", "id": obj.id, "payload": "late", "update_id": 2})
    error = await receive(socket)

    assert error["code"] == "stale"
    assert error["current_update_id"] == 3


@pytest.mark.parametrize("update_id", [0, -1, 2**53, "7", 1.5, True])
async def test_invalid_update_id_is_rejected(connect, alice, update_id):
    obj = await create(alice)
    socket = await connect(alice)

    await send(socket, {"type": "update", "id": obj.id, "data": 1, "update_id": update_id})
    error = await receive(socket)

    assert error["code"] == "invalid"
    await assert_alive(socket)


async def test_server_writes_reach_subscribers(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)
    await subscribe(socket, obj.id)

    await api.aupdate(obj.id, {"step": 1})
    await api.apublish(obj.id, "done")

    assert await receive(socket) == {"type": "state", "id": obj.id, "update_id": 1, "data": {"step": 1}}
    assert await receive(socket) == {"type": "message", "id": obj.id, "update_id": 2, "payload": "done"}


# Unsubscribing.


async def test_unsubscribe_is_acknowledged(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)
    await subscribe(socket, obj.id)

    await send(socket, {"type": "unsubscribe", "id": obj.id, "ref": "u"})

    assert await receive(socket) == {"type": "unsubscribed", "id": obj.id, "ref": "u"}


async def test_unsubscribe_stops_frames(connect, alice):
    first = await create(alice)
    second = await create(alice)
    socket = await connect(alice)
    await subscribe(socket, first.id)
    await send(socket, {"type": "unsubscribe", "id": first.id})
    await receive(socket)
    await subscribe(socket, second.id)

    # Fan-out keeps the order of writes, so a frame for the first object
    # would arrive before the one for the second.
    await api.aupdate(first.id, "dropped")
    await api.aupdate(second.id, "kept")

    assert await receive(socket) == {"type": "state", "id": second.id, "update_id": 1, "data": "kept"}


async def test_unsubscribe_without_subscription_is_acknowledged(connect, alice):
    socket = await connect(alice)

    await send(socket, {"type": "unsubscribe", "id": MISSING_ID})

    assert await receive(socket) == {"type": "unsubscribed", "id": MISSING_ID}


async def test_resubscribe_sends_snapshot_again(connect, alice):
    obj = await create(alice, data="x")
    socket = await connect(alice)
    await subscribe(socket, obj.id)
    await send(socket, {"type": "unsubscribe", "id": obj.id})
    await receive(socket)

    snapshot = await subscribe(socket, obj.id)

    assert snapshot["type"] == "snapshot"


# Access control.


def without_id(frame, object_id):
    """Return the frame with the object id blanked out of its fields and message."""
    return {key: value.replace(object_id, "<id>") if isinstance(value, str) else value
            for key, value in frame.items()}


async def test_private_object_of_other_user_is_not_found(connect, alice, bob):
    obj = await create(alice)
    socket = await connect(bob)

    await send(socket, {"type": "subscribe", "id": obj.id, "ref": "r"})
    hidden = await receive(socket)
    await send(socket, {"type": "subscribe", "id": MISSING_ID, "ref": "r"})
    missing = await receive(socket)

    assert hidden["code"] == "not_found"
    assert without_id(hidden, obj.id) == without_id(missing, MISSING_ID)


async def test_private_object_is_not_found_for_anonymous(connect, alice):
    obj = await create(alice)
    socket = await connect()

    await send(socket, {"type": "subscribe", "id": obj.id})
    error = await receive(socket)

    assert error["code"] == "not_found"
    await assert_alive(socket)


async def test_private_object_of_other_user_is_not_writable(connect, alice, bob):
    obj = await create(alice)
    socket = await connect(bob)

    await send(socket, {"type": "update", "id": obj.id, "data": 1})
    error = await receive(socket)

    assert error["code"] == "not_found"


async def test_hidden_object_gets_no_frames(connect, alice, bob):
    hidden = await create(alice)
    visible = await create(bob)
    socket = await connect(bob)
    await send(socket, {"type": "subscribe", "id": hidden.id})
    await receive(socket)
    await subscribe(socket, visible.id)

    await api.aupdate(hidden.id, "secret")
    await api.aupdate(visible.id, "mine")

    assert (await receive(socket))["id"] == visible.id


@pytest.mark.parametrize("object_id", ["short", "x" * 65, "has space in it!!!!!"])
async def test_malformed_object_id_is_not_found(connect, alice, object_id):
    socket = await connect(alice)

    await send(socket, {"type": "subscribe", "id": object_id})
    error = await receive(socket)

    assert error["code"] == "not_found"


async def test_public_object_write_by_non_owner_is_forbidden(connect, alice, bob):
    obj = await create(alice, security="public")
    receiver = await connect(alice)
    await subscribe(receiver, obj.id)
    socket = await connect(bob)

    await send(socket, {"type": "update", "id": obj.id, "data": "takeover", "ref": "f"})
    error = await receive(socket)
    await api.aupdate(obj.id, "owner")

    assert error["code"] == "forbidden"
    assert error["id"] == obj.id
    assert error["ref"] == "f"
    assert (await receive(receiver))["data"] == "owner"


async def test_public_object_message_by_anonymous_is_forbidden(connect, alice):
    obj = await create(alice, security="public")
    socket = await connect()

    await send(socket, {"type": "message", "id": obj.id, "payload": "hi"})
    error = await receive(socket)

    assert error["code"] == "forbidden"


async def make_private(object_id):
    await database_sync_to_async(operations.configure)(object_id, security="private")


async def test_object_made_private_ends_anonymous_subscription(connect, alice):
    obj = await create(alice, security="public")
    socket = await connect()
    await subscribe(socket, obj.id)

    await make_private(obj.id)
    error = await receive(socket)
    await api.aupdate(obj.id, "secret")

    assert error["code"] == "not_found"
    assert error["id"] == obj.id
    await assert_alive(socket)


async def test_object_made_private_keeps_owner_subscription(connect, alice):
    obj = await create(alice, security="public")
    socket = await connect(alice)
    await subscribe(socket, obj.id)

    await make_private(obj.id)
    await api.aupdate(obj.id, "still visible")

    assert (await receive(socket))["data"] == "still visible"


# Invalid client frames: each gets an error frame and the socket stays usable.


async def test_malformed_json_gets_error(connect):
    socket = await connect()

    await socket.send_to(text_data='{"type": "ping"')
    error = await receive(socket)

    assert error["type"] == "error"
    assert error["code"] == "invalid_json"
    await assert_alive(socket)


@pytest.mark.parametrize("text", ["NaN", '{"type": "ping", "ref": Infinity}'])
async def test_non_standard_json_constants_get_error(connect, text):
    socket = await connect()

    await socket.send_to(text_data=text)
    error = await receive(socket)

    assert error["code"] == "invalid_json"
    await assert_alive(socket)


@pytest.mark.parametrize("text", ["[]", '"subscribe"', "42", "null"])
async def test_frame_that_is_not_an_object_gets_error(connect, text):
    socket = await connect()

    await socket.send_to(text_data=text)
    error = await receive(socket)

    assert error["code"] == "invalid_frame"
    await assert_alive(socket)


async def test_unknown_type_gets_error(connect):
    socket = await connect()

    await send(socket, {"type": "shout", "ref": "u1"})
    error = await receive(socket)

    assert error["code"] == "unknown_type"
    assert error["ref"] == "u1"
    await assert_alive(socket)


@pytest.mark.parametrize(
    "frame",
    [
        {"id": "x"},
        {"type": 5},
        {"type": "subscribe"},
        {"type": "unsubscribe"},
        {"type": "update", "id": MISSING_ID},
        {"type": "message", "id": MISSING_ID},
        {"type": "ping", "ref": ["list"]},
        {"type": "ping", "ref": "r" * 129},
    ],
)
async def test_missing_or_invalid_field_gets_error(connect, frame):
    socket = await connect()

    await send(socket, frame)
    error = await receive(socket)

    assert error["code"] == "invalid_frame"
    await assert_alive(socket)


async def test_non_string_id_gets_error(connect):
    socket = await connect()

    await send(socket, {"type": "subscribe", "id": 12, "ref": "n"})
    error = await receive(socket)

    assert error["code"] == "invalid_id"
    assert error["ref"] == "n"
    await assert_alive(socket)


async def test_binary_frame_gets_error(connect):
    socket = await connect()

    await socket.send_to(bytes_data=b'{"type": "ping"}')
    error = await receive(socket)

    assert error["code"] == "binary_frame"
    await assert_alive(socket)


async def test_oversized_frame_gets_error(connect, settings):
    settings.SHOUTOUT = {"EXPIRY_SWEEP_INTERVAL": 0, "MAX_FRAME_BYTES": 1000}
    socket = await connect()

    await send(socket, {"type": "ping", "ref": "x", "padding": "p" * 1000})
    error = await receive(socket)

    assert error["code"] == "frame_too_large"
    assert error["limit"] == 1000
    await assert_alive(socket)


async def test_oversized_payload_gets_error(connect, alice, settings):
    settings.SHOUTOUT = {"EXPIRY_SWEEP_INTERVAL": 0, "MAX_PAYLOAD_BYTES": 100}
    obj = await create(alice)
    socket = await connect(alice)

    await send(socket, {"type": "update", "id": obj.id, "data": "d" * 200, "ref": "big"})
    error = await receive(socket)

    assert error["code"] == "payload_too_large"
    assert error["ref"] == "big"
    await assert_alive(socket)


async def test_deep_payload_gets_error(connect, alice, settings):
    settings.SHOUTOUT = {"EXPIRY_SWEEP_INTERVAL": 0, "MAX_PAYLOAD_DEPTH": 3}
    obj = await create(alice)
    socket = await connect(alice)

    await send(socket, {"type": "message", "id": obj.id, "payload": [[[["deep"]]]]})
    error = await receive(socket)

    assert error["code"] == "payload_too_deep"
    await assert_alive(socket)


async def test_rejected_write_changes_nothing(connect, alice, settings):
    settings.SHOUTOUT = {"EXPIRY_SWEEP_INTERVAL": 0, "MAX_PAYLOAD_BYTES": 100}
    obj = await create(alice, data="kept")
    socket = await connect(alice)
    await send(socket, {"type": "update", "id": obj.id, "data": "d" * 200})
    await receive(socket)

    snapshot = await subscribe(socket, obj.id)

    assert snapshot["update_id"] == 0
    assert snapshot["data"] == "kept"


# Keepalive, deletion and expiry.


async def test_ping_gets_pong(connect):
    socket = await connect()

    await send(socket, {"type": "ping", "ref": "k1"})

    assert await receive(socket) == {"type": "pong", "ref": "k1"}


async def test_ping_without_ref_gets_pong(connect):
    socket = await connect()

    await send(socket, {"type": "ping"})

    assert await receive(socket) == {"type": "pong"}


async def test_delete_sends_deleted(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)
    await subscribe(socket, obj.id)

    result = await api.adelete(obj.id)

    assert result.accepted
    assert await receive(socket) == {"type": "deleted", "id": obj.id}


async def test_deleted_object_is_not_found(connect, alice):
    obj = await create(alice)
    socket = await connect(alice)
    await subscribe(socket, obj.id)
    await api.adelete(obj.id)
    await receive(socket)

    await send(socket, {"type": "subscribe", "id": obj.id})
    error = await receive(socket)

    assert error["code"] == "not_found"


async def test_expiry_sends_expired(connect, alice):
    obj = await create(alice, ttl=60)
    socket = await connect(alice)
    snapshot = await subscribe(socket, obj.id)

    expired = await expiry.sweep(now=snapshot["expires_at"] + 1)

    assert expired == [obj.id]
    assert await receive(socket) == {"type": "expired", "id": obj.id}
    await assert_alive(socket)


async def test_sweep_before_expiry_sends_nothing(connect, alice):
    obj = await create(alice, ttl=60)
    socket = await connect(alice)
    snapshot = await subscribe(socket, obj.id)

    expired = await expiry.sweep(now=snapshot["expires_at"] - 1)
    await assert_alive(socket)

    assert expired == []
