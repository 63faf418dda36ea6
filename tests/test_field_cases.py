"""Cases seen in the field: final updates, odd object ids, large payloads.

Each case runs in process (Channels' ``WebsocketCommunicator`` and DRF's
``APIClient``) and, where marked, against a real daphne server (the
``live_server`` fixture) with ``requests`` and ``websockets``.
"""

import asyncio
import json
from urllib.parse import quote

import pytest
import requests
import websockets
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

import shoutout.routing

pytestmark = pytest.mark.django_db(transaction=True)

APPLICATION = AuthMiddlewareStack(URLRouter(shoutout.routing.websocket_urlpatterns))
OBJECTS_PATH = "/shoutout/api/objects/"
# Seconds to wait for one frame or request; generous, so a slow machine does not fail a test.
TIMEOUT = 20
# Seconds of silence that show no further frame is on its way.
QUIET = 0.5
MAX_PAYLOAD_BYTES = 64 * 1024
FINAL = {"status": "done"}
ODD_IDS = ["a" * 500, "Grüße-世界-objekt-01", "with spaces in it", "a/b", "..", "nul\x00byte", ""]
NON_STRING_IDS = [None, 5, ["a"], {"id": "a"}]
# Lone surrogates arrive as JSON escapes ("\ud800") and cannot appear in a URL.
SURROGATE_IDS = ["\ud800", "x\udfffy"]


def deep_json(levels):
    return "[" * levels + "]" * levels


# A state body that each limit rejects, and the REST status for it.
BAD_FINAL_BODIES = {
    "bare_nan": ('{"data": {"status": NaN}}', 400),
    "too_deep": ('{"data": {"status": %s}}' % deep_json(40), 400),
    "too_large": (json.dumps({"data": {"status": "done", "log": "x" * (MAX_PAYLOAD_BYTES + 10)}}), 413),
}

# The same final update as a WebSocket frame, with the error codes that may reject it.
BAD_FINAL_FRAMES = {
    "bare_nan": ('{"type": "update", "id": %s, "ref": "final", "data": {"status": NaN}}', {"invalid_json"}),
    "too_deep": (
        '{"type": "update", "id": %s, "ref": "final", "data": {"status": ' + deep_json(40) + "}}",
        {"payload_too_deep"},
    ),
    "too_large": (
        '{"type": "update", "id": %s, "ref": "final", "data": "' + "x" * (MAX_PAYLOAD_BYTES + 10) + '"}',
        {"payload_too_large", "frame_too_large"},
    ),
    "over_frame_limit": (
        '{"type": "update", "id": %s, "ref": "final", "data": "' + "x" * (2 * 1024 * 1024) + '"}',
        {"payload_too_large", "frame_too_large"},
    ),
}


# Sockets: one interface over the in-process communicator and a real client.


class Socket:
    """A WebSocket client that tracks what it holds for each subscribed object."""

    def __init__(self):
        # object id -> {"update_id", "data"} from the latest snapshot or state frame.
        self.held = {}

    async def send_text(self, text):
        raise NotImplementedError("subclasses of Socket must provide a send_text() method")

    async def receive_text(self, timeout):
        raise NotImplementedError("subclasses of Socket must provide a receive_text() method")

    async def send(self, frame):
        # Non-ASCII text goes unescaped, as JSON.stringify() sends it.
        await self.send_text(json.dumps(frame, ensure_ascii=False))

    async def receive(self, timeout=TIMEOUT):
        frame = json.loads(await self.receive_text(timeout))
        if frame.get("type") in ("snapshot", "state"):
            previous = self.held.get(frame["id"], {"update_id": -1})
            assert frame["update_id"] > previous["update_id"], frame
            self.held[frame["id"]] = {"update_id": frame["update_id"], "data": frame["data"]}
        return frame

    async def receive_nothing(self):
        """Return whether no frame arrives within ``QUIET`` seconds."""
        try:
            frame = await self.receive_text(QUIET)
        except asyncio.TimeoutError:
            return True
        raise AssertionError(f"unexpected frame: {frame[:200]}")

    async def subscribe(self, object_id, ref="sub"):
        await self.send({"type": "subscribe", "id": object_id, "ref": ref})
        assert (await self.receive())["type"] == "subscribed"
        assert (await self.receive())["type"] == "snapshot"

    async def receive_state(self, object_id, update_id):
        """Receive frames until the object's state reaches ``update_id`` and return them."""
        frames = []
        while self.held.get(object_id, {"update_id": -1})["update_id"] < update_id:
            frames.append(await self.receive())
        return frames


class CommunicatorSocket(Socket):
    def __init__(self, communicator):
        super().__init__()
        self.communicator = communicator

    async def send_text(self, text):
        await self.communicator.send_to(text_data=text)

    async def receive_text(self, timeout):
        return await self.communicator.receive_from(timeout=timeout)

    async def receive_nothing(self):
        # A timeout in receive_from() would cancel the application, so poll instead.
        if await self.communicator.receive_nothing(timeout=QUIET):
            return True
        frame = await self.receive_text(TIMEOUT)
        raise AssertionError(f"unexpected frame: {frame[:200]}")


class LiveSocket(Socket):
    def __init__(self, connection):
        super().__init__()
        self.connection = connection

    async def send_text(self, text):
        await self.connection.send(text)

    async def receive_text(self, timeout):
        return await asyncio.wait_for(self.connection.recv(), timeout)


# Environments: where the sockets and REST calls go.


class Response:
    def __init__(self, status, text):
        self.status = status
        self.text = text

    def json(self):
        return json.loads(self.text)


class InProcess:
    """The project's ASGI stack in this process, with alice logged in by session."""

    live = False

    def __init__(self):
        self.sockets = []

    async def start(self):
        self.client, self.cookie = await database_sync_to_async(self._log_in)()
        await get_channel_layer().flush()

    @staticmethod
    def _log_in():
        alice = get_user_model().objects.create_user("alice", password="pw")
        client = APIClient()
        client.force_login(alice)
        name = django_settings.SESSION_COOKIE_NAME
        return client, f"{name}={client.cookies[name].value}"

    async def rest(self, method, path, body=None):
        def call():
            response = self.client.generic(method, path, body or "", content_type="application/json")
            return Response(response.status_code, response.content.decode())

        return await sync_to_async(call)()

    async def socket(self, owner=False):
        headers = [(b"cookie", self.cookie.encode())] if owner else []
        communicator = WebsocketCommunicator(APPLICATION, "/ws/shoutout/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        self.sockets.append(communicator)
        return CommunicatorSocket(communicator)

    async def stop(self):
        for communicator in self.sockets:
            await communicator.disconnect(timeout=TIMEOUT)


class Live:
    """A daphne server process, where alice authenticates REST calls with a DRF token."""

    live = True

    def __init__(self, server):
        self.server = server
        self.connections = []

    async def start(self):
        token = await asyncio.to_thread(self.server.create_user, "alice")
        self.session = requests.Session()
        self.session.trust_env = False  # the server is on loopback, so no proxy applies
        self.session.headers["Authorization"] = f"Token {token}"

    async def rest(self, method, path, body=None):
        def call():
            response = self.session.request(
                method, self.server.url + path, data=(body or "").encode(),
                headers={"Content-Type": "application/json"}, timeout=TIMEOUT,
            )
            return Response(response.status_code, response.text)

        return await asyncio.to_thread(call)

    async def socket(self, owner=False):
        if owner:
            pytest.skip("sockets of the live server are anonymous in these tests")
        connection = await websockets.connect(
            self.server.ws_url, origin=self.server.url, proxy=None, open_timeout=TIMEOUT
        )
        self.connections.append(connection)
        return LiveSocket(connection)

    async def stop(self):
        for connection in self.connections:
            await connection.close()
        self.session.close()


@pytest.fixture
async def in_process():
    env = InProcess()
    await env.start()
    yield env
    await env.stop()


@pytest.fixture
async def live(live_server):
    env = Live(live_server)
    await env.start()
    yield env
    await env.stop()


@pytest.fixture(params=["in_process", pytest.param("live", marks=pytest.mark.server)])
def env(request):
    return request.getfixturevalue(request.param)


async def create_public(env, data=None):
    response = await env.rest("POST", OBJECTS_PATH, json.dumps({"security": "public", "data": data}))
    assert response.status == 201, response.text
    return response.json()["id"]


async def post_state(env, object_id, data):
    return await env.rest("POST", f"{OBJECTS_PATH}{object_id}/state/", json.dumps({"data": data}))


async def post_progress(env, object_id, steps=10):
    """Post ``steps`` progress updates and return the last accepted update id."""
    for step in range(steps):
        response = await post_state(env, object_id, {"progress": (step + 1) * 10})
        assert response.status == 200, response.text
    return response.json()["update_id"]


async def current(env, object_id):
    body = (await env.rest("GET", f"{OBJECTS_PATH}{object_id}/")).json()
    return {"update_id": body["update_id"], "data": body["data"]}


# The final update is never dropped in silence.


async def test_final_update_reaches_every_subscriber(env):
    object_id = await create_public(env)
    subscribers = [await env.socket() for _ in range(3)]
    for socket in subscribers:
        await socket.subscribe(object_id)

    await post_progress(env, object_id)
    response = await post_state(env, object_id, FINAL)
    final_id = response.json()["update_id"]

    for socket in subscribers:
        frames = await socket.receive_state(object_id, final_id)
        assert frames[-1]["type"] == "state"
        assert frames[-1]["data"] == FINAL
        assert socket.held[object_id] == await current(env, object_id)


async def test_final_update_over_socket_reaches_every_subscriber(in_process):
    object_id = await create_public(in_process)
    subscribers = [await in_process.socket() for _ in range(3)]
    for socket in subscribers:
        await socket.subscribe(object_id)
    sender = await in_process.socket(owner=True)

    for step in range(10):
        await sender.send({"type": "update", "id": object_id, "data": {"progress": step}, "ref": step})
        assert (await sender.receive())["type"] == "ack"
    await sender.send({"type": "update", "id": object_id, "data": FINAL, "ref": "final"})
    ack = await sender.receive()

    assert ack["accepted_update_id"] == 11
    for socket in subscribers:
        frames = await socket.receive_state(object_id, 11)
        assert frames[-1]["data"] == FINAL


@pytest.mark.parametrize("case", list(BAD_FINAL_BODIES))
async def test_invalid_final_update_is_rejected_over_rest(env, case):
    body, status = BAD_FINAL_BODIES[case]
    object_id = await create_public(env)
    subscriber = await env.socket()
    await subscriber.subscribe(object_id)
    last_id = await post_progress(env, object_id)

    response = await env.rest("POST", f"{OBJECTS_PATH}{object_id}/state/", body)

    assert response.status == status
    assert response.json()["code"]
    await subscriber.receive_state(object_id, last_id)
    assert await subscriber.receive_nothing()
    assert subscriber.held[object_id] == await current(env, object_id)
    assert subscriber.held[object_id]["update_id"] == last_id


@pytest.mark.parametrize("case", list(BAD_FINAL_FRAMES))
async def test_invalid_final_update_is_rejected_over_socket(in_process, case):
    template, codes = BAD_FINAL_FRAMES[case]
    object_id = await create_public(in_process)
    subscriber = await in_process.socket()
    await subscriber.subscribe(object_id)
    sender = await in_process.socket(owner=True)
    last_id = await post_progress(in_process, object_id)

    await sender.send_text(template % json.dumps(object_id))
    error = await sender.receive()

    assert error["type"] == "error"
    assert error["code"] in codes
    assert await sender.receive_nothing()
    await subscriber.receive_state(object_id, last_id)
    assert await subscriber.receive_nothing()
    assert subscriber.held[object_id] == await current(in_process, object_id)


async def test_rejected_final_update_names_its_ref(in_process):
    object_id = await create_public(in_process)
    sender = await in_process.socket(owner=True)
    template, _ = BAD_FINAL_FRAMES["too_deep"]

    await sender.send_text(template % json.dumps(object_id))
    error = await sender.receive()

    assert error["ref"] == "final"
    assert error["id"] == object_id


async def test_final_update_after_rejection_is_delivered(in_process):
    object_id = await create_public(in_process)
    subscriber = await in_process.socket()
    await subscriber.subscribe(object_id)
    await in_process.rest("POST", f"{OBJECTS_PATH}{object_id}/state/", BAD_FINAL_BODIES["bare_nan"][0])

    response = await post_state(in_process, object_id, FINAL)

    frames = await subscriber.receive_state(object_id, response.json()["update_id"])
    assert frames[-1]["data"] == FINAL


# Odd object ids are rejected cleanly.


@pytest.mark.parametrize("odd_id", ODD_IDS)
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", '{"ttl": 10}'),
        ("DELETE", "", None),
        ("POST", "state/", '{"data": 1}'),
        ("POST", "messages/", '{"payload": 1}'),
    ],
)
async def test_odd_id_is_not_found_over_rest(in_process, odd_id, method, suffix, body):
    response = await in_process.rest(method, f"{OBJECTS_PATH}{quote(odd_id, safe='')}/{suffix}", body)
    assert response.status == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.server
async def test_odd_ids_are_not_found_over_rest_of_live_server(live):
    for odd_id in ODD_IDS:
        for method, suffix in (("GET", ""), ("POST", "state/")):
            response = await live.rest(method, f"{OBJECTS_PATH}{quote(odd_id, safe='')}/{suffix}", '{"data": 1}')
            assert response.status == 404, (odd_id, method, response.text[:200])


@pytest.mark.parametrize("quoted_id", ["%ED%A0%80", "%FF%FE", "%C3"])
async def test_id_of_invalid_utf8_is_not_found_over_rest(env, quoted_id):
    response = await env.rest("GET", f"{OBJECTS_PATH}{quoted_id}/")
    assert response.status == 404


async def test_lone_surrogate_ref_is_echoed(env):
    socket = await env.socket()
    await socket.send_text(json.dumps({"type": "subscribe", "id": "A" * 22, "ref": "r\ud800"}))
    error = await socket.receive()
    assert error["code"] == "not_found"
    assert error["ref"] == "r\ud800"


async def test_odd_ids_get_error_frames_and_keep_other_subscription(env):
    object_id = await create_public(env)
    socket = await env.socket()
    await socket.subscribe(object_id)

    for index, odd_id in enumerate(ODD_IDS + NON_STRING_IDS + SURROGATE_IDS):
        for frame_type, field in (("subscribe", None), ("update", "data"), ("message", "payload")):
            frame = {"type": frame_type, "id": odd_id, "ref": f"odd-{index}"}
            if field:
                frame[field] = 1
            await socket.send_text(json.dumps(frame))  # ASCII escapes carry the lone surrogates
            error = await socket.receive()
            assert error["type"] == "error", (odd_id, error)
            assert error["code"] in ("not_found", "invalid_id"), (odd_id, error)
            assert error["ref"] == f"odd-{index}"

    response = await post_state(env, object_id, {"after": "odd ids"})
    frames = await socket.receive_state(object_id, response.json()["update_id"])
    assert frames[-1]["data"] == {"after": "odd ids"}


# Large payloads get a clear error.


async def test_large_state_over_rest_is_too_large(env):
    object_id = await create_public(env)
    body = json.dumps({"data": {"blob": "x" * (2 * 1024 * 1024)}})

    response = await env.rest("POST", f"{OBJECTS_PATH}{object_id}/state/", body)

    assert response.status == 413
    assert response.json()["code"] == "payload_too_large"
    assert str(MAX_PAYLOAD_BYTES) in response.json()["message"]


async def frame_over_limit_keeps_other_subscription(env, size):
    object_id = await create_public(env)
    other_id = await create_public(env)
    socket = await env.socket()
    await socket.subscribe(other_id)

    await socket.send({"type": "update", "id": object_id, "data": {"blob": "x" * size}})
    error = await socket.receive()

    assert error["type"] == "error"
    assert error["code"] in ("frame_too_large", "payload_too_large")
    response = await post_state(env, other_id, {"still": "working"})
    frames = await socket.receive_state(other_id, response.json()["update_id"])
    assert frames[-1]["data"] == {"still": "working"}


async def test_large_frame_keeps_other_subscriptions(in_process):
    await frame_over_limit_keeps_other_subscription(in_process, 2 * 1024 * 1024)


@pytest.mark.server
async def test_frame_over_limit_keeps_other_subscriptions_on_live_server(live):
    # daphne 4.2 closes the connection (code 1009) for messages over its
    # --websocket-max-message-size (1 MiB by default) before they reach the
    # consumer. This frame is over SHOUTOUT['MAX_FRAME_BYTES'] but under that.
    await frame_over_limit_keeps_other_subscription(live, 512 * 1024)


async def test_payload_over_limit_over_socket_names_limit(in_process):
    object_id = await create_public(in_process)
    sender = await in_process.socket(owner=True)

    await sender.send({"type": "update", "id": object_id, "data": "x" * MAX_PAYLOAD_BYTES, "ref": "big"})
    error = await sender.receive()

    assert error["code"] == "payload_too_large"
    assert str(MAX_PAYLOAD_BYTES) in error["message"]


async def test_payload_just_under_limit_is_delivered(env):
    object_id = await create_public(env)
    subscriber = await env.socket()
    await subscriber.subscribe(object_id)
    data = "x" * (MAX_PAYLOAD_BYTES - 2)  # with its quotes, exactly the limit

    response = await post_state(env, object_id, data)

    assert response.status == 200
    frames = await subscriber.receive_state(object_id, response.json()["update_id"])
    assert frames[-1]["data"] == data


async def test_payload_just_under_limit_over_socket_is_delivered(in_process):
    object_id = await create_public(in_process)
    subscriber = await in_process.socket()
    await subscriber.subscribe(object_id)
    sender = await in_process.socket(owner=True)
    data = {"log": "é" * ((MAX_PAYLOAD_BYTES - 20) // 2)}

    await sender.send({"type": "update", "id": object_id, "data": data, "ref": "near-limit"})
    ack = await sender.receive()

    assert ack["type"] == "ack"
    frames = await subscriber.receive_state(object_id, ack["accepted_update_id"])
    assert frames[-1]["data"] == data
