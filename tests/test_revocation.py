"""Revoking capability tokens, seen by real WebSocket clients of a real daphne server.

Clients hold no cookies and no DRF token: a read token in the ``subscribe``
frame is all they have, as in a script a user pasted the token into.
"""

import asyncio
import json
import statistics
import time

import pytest
import requests
import websockets
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from shoutout import api
from shoutout.routing import websocket_application
from tests.conftest import LiveServer
from tests.live_clients import FRAME_TIMEOUT, HTTP_TIMEOUT, receive, send

LATENCY_RUNS = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start one daphne process for the module, with the user alice who owns every object."""
    live = LiveServer(tmp_path_factory.mktemp("revocation-server"))
    live.start()
    live.owner_key = live.create_user("alice")
    yield live
    live.stop()


def owner_call(server, method, path="", body=None) -> requests.Response:
    """Send one REST request to the objects API as the owner, with her DRF token."""
    with requests.Session() as session:
        session.trust_env = False
        session.headers["Authorization"] = f"Token {server.owner_key}"
        response = session.request(
            method, f"{server.url}/shoutout/api/objects/{path}", json=body, timeout=HTTP_TIMEOUT
        )
    response.raise_for_status()
    return response


def create(server, **fields) -> dict:
    return owner_call(server, "POST", body=fields).json()


def mint(server, object_id, **fields) -> str:
    return owner_call(server, "POST", f"{object_id}/tokens/", {"scope": "read", **fields}).json()["token"]


def revoke(server, object_id) -> int:
    return owner_call(server, "POST", f"{object_id}/tokens/revoke/").json()["token_generation"]


def write(server, object_id, data) -> int:
    return owner_call(server, "POST", f"{object_id}/state/", {"data": data}).json()["update_id"]


def open_script_socket(server):
    """Open a WebSocket as a script does: no cookies, no Origin, no credentials in the URL."""
    return websockets.connect(server.ws_url, proxy=None, open_timeout=FRAME_TIMEOUT)


async def subscribe_with(ws, object_id, token) -> dict:
    """Subscribe with a capability token; return the first reply (``subscribed`` or an error frame)."""
    await send(ws, {"type": "subscribe", "id": object_id, "token": token})
    return await receive(ws)


def tampered(token: str) -> str:
    """Return the token with the last character of its signature changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


# The revoked frame.


@pytest.mark.server
async def test_revocation_ends_token_subscription(server):
    private = create(server, security="private", data={"pct": 1})
    public = create(server, security="public", data={"pct": 2})

    async with open_script_socket(server) as ws:
        assert (await subscribe_with(ws, private["id"], private["read_token"]))["type"] == "subscribed"
        assert (await receive(ws))["type"] == "snapshot"
        assert (await subscribe_with(ws, public["id"], None))["type"] == "subscribed"
        assert (await receive(ws))["type"] == "snapshot"

        revoke(server, private["id"])
        revoked = await receive(ws)

        # A write to the revoked object must not arrive; the public one's next write must.
        write(server, private["id"], {"pct": 3})
        public_update_id = write(server, public["id"], {"pct": 4})
        after = await receive(ws)

    assert revoked == {"type": "revoked", "id": private["id"]}
    assert after == {"type": "state", "id": public["id"], "update_id": public_update_id, "data": {"pct": 4}}


@pytest.mark.server
async def test_revoked_token_cannot_subscribe_again(server):
    created = create(server, security="private")
    async with open_script_socket(server) as ws:
        await subscribe_with(ws, created["id"], created["read_token"])
        await receive(ws)
        revoke(server, created["id"])
        await receive(ws)
        again = await subscribe_with(ws, created["id"], created["read_token"])
    assert again["code"] == "token_revoked"


@pytest.mark.server
async def test_token_minted_after_revocation_subscribes(server):
    created = create(server, security="private")
    revoke(server, created["id"])
    async with open_script_socket(server) as ws:
        first = await subscribe_with(ws, created["id"], mint(server, created["id"]))
    assert first["type"] == "subscribed"


@pytest.mark.server
async def test_revocation_keeps_other_socket_of_same_token(server):
    """Every socket that subscribed with the token gets its own revoked frame."""
    created = create(server, security="private")
    async with open_script_socket(server) as first, open_script_socket(server) as second:
        for ws in (first, second):
            await subscribe_with(ws, created["id"], created["read_token"])
            await receive(ws)
        revoke(server, created["id"])
        frames = [await receive(ws) for ws in (first, second)]
    assert frames == [{"type": "revoked", "id": created["id"]}] * 2


async def receive_revoked(ws, object_id) -> float:
    """Wait for the revoked frame of ``object_id``; return the ``perf_counter`` time it arrived."""
    while True:
        frame = await receive(ws)
        if frame == {"type": "revoked", "id": object_id}:
            return time.perf_counter()


@pytest.mark.server
async def test_revoked_frame_follows_revoke_response(server, capsys):
    """Measure the time from the revoke response to the revoked frame (printed, not asserted)."""
    created = create(server, security="private")
    delays = []
    async with open_script_socket(server) as ws:
        for _ in range(LATENCY_RUNS):
            token = mint(server, created["id"])
            assert (await subscribe_with(ws, created["id"], token))["type"] == "subscribed"
            await receive(ws)

            arrival = asyncio.create_task(receive_revoked(ws, created["id"]))
            await asyncio.to_thread(revoke, server, created["id"])
            responded = time.perf_counter()
            delays.append(await asyncio.wait_for(arrival, FRAME_TIMEOUT) - responded)

    assert len(delays) == LATENCY_RUNS
    # Negative delays mean the frame arrived before the HTTP response.
    with capsys.disabled():
        print(
            f"\nrevoke response -> revoked frame over {LATENCY_RUNS} runs: "
            f"min {min(delays) * 1000:.1f} ms, median {statistics.median(delays) * 1000:.1f} ms, "
            f"max {max(delays) * 1000:.1f} ms"
        )


# Tokens a script cannot use.


def refusal_lines(server, object_id) -> list:
    """Return the refusal lines for the object that the example project's console handler wrote.

    That handler writes the bare message. daphne's command line also installs
    a root handler, which repeats each record after a timestamp and a level.
    """
    marker = f"Capability token rejected for object {object_id}:"
    return [line for line in server.log_path.read_text().splitlines() if line.startswith(marker)]


@pytest.mark.server
async def test_refused_tokens_get_error_frames(server):
    created = create(server, security="private", data={"pct": 5})
    object_id = created["id"]
    expiring = mint(server, object_id, expires_in=1)

    async with open_script_socket(server) as ws:
        valid_reply = await subscribe_with(ws, object_id, created["read_token"])
        await receive(ws)
        await send(ws, {"type": "unsubscribe", "id": object_id})
        await receive(ws)

        tampered_reply = await subscribe_with(ws, object_id, tampered(created["read_token"]))
        await asyncio.sleep(2)
        expired_reply = await subscribe_with(ws, object_id, expiring)
        revoke(server, object_id)
        revoked_reply = await subscribe_with(ws, object_id, created["read_token"])

    assert valid_reply["type"] == "subscribed"
    assert tampered_reply["code"] == "token_invalid"
    assert expired_reply["code"] == "token_expired"
    assert revoked_reply["code"] == "token_revoked"
    assert {tampered_reply["id"], expired_reply["id"], revoked_reply["id"]} == {object_id}


@pytest.mark.server
async def test_each_refusal_is_logged_once_without_token(server):
    created = create(server, security="private")
    object_id = created["id"]
    expiring = mint(server, object_id, expires_in=1)
    bad_tokens = [tampered(created["read_token"]), expiring, created["read_token"]]

    async with open_script_socket(server) as ws:
        await subscribe_with(ws, object_id, bad_tokens[0])
        await asyncio.sleep(2)
        await subscribe_with(ws, object_id, expiring)
        revoke(server, object_id)
        # Each error frame is sent after its log line is written.
        await subscribe_with(ws, object_id, created["read_token"])

    lines = refusal_lines(server, object_id)
    log = server.log_path.read_text()
    assert [line.rsplit(":", 1)[1].strip() for line in lines] == ["token_invalid", "token_expired", "token_revoked"]
    for token in bad_tokens:
        assert token not in log
        assert token.rsplit(":", 1)[1] not in log


# Access lost while a subscribe frame is being handled.


@pytest.fixture
def access_lost_before_group_add(monkeypatch):
    """Make the next ``group_add`` of the channel layer run ``take_away()`` first.

    This is the moment between the subscribe frame's access check and the
    socket joining the object's group, where a revocation's fan-out event
    would reach every receiver but this one.
    """
    layer = get_channel_layer()
    original = layer.group_add

    def arm(take_away):
        async def group_add(group, channel):
            monkeypatch.setattr(layer, "group_add", original)
            await take_away()
            await original(group, channel)

        monkeypatch.setattr(layer, "group_add", group_add)

    return arm


async def script_socket_in_process(headers=()):
    communicator = WebsocketCommunicator(websocket_application(), "/ws/shoutout/", headers=list(headers))
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
    assert connected
    return communicator


async def frames_until_pong(communicator) -> list:
    """Send a ping and return the frames received before the pong."""
    await communicator.send_to(text_data=json.dumps({"type": "ping", "ref": "last"}))
    frames = []
    while (frame := await communicator.receive_json_from(timeout=FRAME_TIMEOUT)) != {"type": "pong", "ref": "last"}:
        frames.append(frame)
    return frames


@pytest.mark.django_db(transaction=True)
async def test_revocation_during_subscribe_ends_subscription(django_user_model, access_lost_before_group_add):
    alice = await django_user_model.objects.acreate(username="alice")
    object_id = (await api.acreate(owner=alice, security="private")).id
    token = await api.amint_token(object_id, "read")
    access_lost_before_group_add(lambda: api.arevoke_tokens(object_id))
    communicator = await script_socket_in_process()

    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "id": object_id, "token": token}))
    replies = await frames_until_pong(communicator)
    await api.aupdate(object_id, {"pct": 50})
    later = await frames_until_pong(communicator)
    await communicator.disconnect()

    assert [frame.get("code") for frame in replies] == ["token_revoked"]
    assert later == []


@pytest.mark.django_db(transaction=True)
async def test_reader_removed_during_subscribe_gets_no_updates(django_user_model, access_lost_before_group_add):
    alice = await django_user_model.objects.acreate(username="alice")
    bob = await django_user_model.objects.acreate(username="bob")
    key = (await Token.objects.acreate(user=bob)).key
    object_id = (await api.acreate(owner=alice, security="private")).id
    await api.aset_grants(object_id, readers=["bob"])
    access_lost_before_group_add(lambda: api.aset_grants(object_id, readers=[]))
    communicator = await script_socket_in_process(headers=[(b"authorization", f"Token {key}".encode())])

    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "id": object_id}))
    replies = await frames_until_pong(communicator)
    await api.aupdate(object_id, {"pct": 50})
    later = await frames_until_pong(communicator)
    await communicator.disconnect()

    assert [frame.get("code") for frame in replies] == ["not_found"]
    assert later == []
