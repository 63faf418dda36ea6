"""End to end: real daphne processes, HTTP senders and WebSocket receivers.

The object is private: its receivers log in through the admin login form and
send the session cookie with the WebSocket handshake.
"""

import asyncio
import uuid

import pytest
import redis

from tests.live_clients import (
    RestClient,
    connect,
    is_strictly_increasing,
    login_session,
    receive,
    receive_until,
    send,
    subscribe,
)

pytestmark = pytest.mark.server

UPDATES = 200
MESSAGE_EVERY = 40  # 5 messages among 200 updates, the last one after the last update


def send_all(rest, object_id):
    """Post the updates and messages in order; return ``{update_id: (frame type, value)}``."""
    sent = {}
    for number in range(1, UPDATES + 1):
        data = {"pct": number / 2}
        response = rest.update(object_id, data)
        response.raise_for_status()
        sent[response.json()["update_id"]] = ("state", data)
        if number % MESSAGE_EVERY == 0:
            payload = {"note": f"passed {number}"}
            response = rest.publish(object_id, payload)
            response.raise_for_status()
            sent[response.json()["update_id"]] = ("message", payload)
    return sent


def value_of(frame):
    return frame["data"] if frame["type"] == "state" else frame["payload"]


async def check_delivery(sender, receiver, token, username):
    """Send from one server, receive on another (or the same), and check what arrives."""
    rest = RestClient(sender, token)
    object_id = rest.create(security="private", data={"pct": 0})
    session_id = login_session(receiver, username)

    async with connect(receiver, session_id) as first, connect(receiver, session_id) as second:
        for ws in (first, second):
            assert (await subscribe(ws, object_id))["update_id"] == 0
        sent = await asyncio.to_thread(send_all, rest, object_id)
        last_id = max(sent)
        received = [
            await receive_until(ws, lambda frame: frame.get("update_id") == last_id) for ws in (first, second)
        ]

    for frames in received:
        ids = [frame["update_id"] for frame in frames]
        messages = [frame["payload"] for frame in frames if frame["type"] == "message"]
        assert is_strictly_increasing(ids)
        assert ids[-1] == last_id
        assert all(sent[frame["update_id"]] == (frame["type"], value_of(frame)) for frame in frames)
        assert messages == [value for kind, value in sent.values() if kind == "message"]

    async with connect(receiver, session_id) as late:
        snapshot = await subscribe(late, object_id)
    assert snapshot["update_id"] == last_id
    assert snapshot["data"] == {"pct": UPDATES / 2}

    async with connect(receiver) as anonymous:
        await send(anonymous, {"type": "subscribe", "id": object_id})
        assert (await receive(anonymous))["code"] == "not_found"
    rest.close()


async def test_updates_reach_receivers_in_order(live_server):
    token = live_server.create_user("owner", staff=True)

    await check_delivery(live_server, live_server, token, "owner")


@pytest.fixture
def redis_prefix(redis_url):
    """A Redis key prefix of this test; its keys are deleted after the servers stop."""
    prefix = f"shoutout-test-e2e-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.mark.redis
async def test_two_processes_share_updates_through_redis(redis_prefix, redis_url, live_server_factory, tmp_path):
    env = {
        "SHOUTOUT_REDIS_URL": redis_url,
        "SHOUTOUT_REDIS_PREFIX": redis_prefix,
        # Both processes read the same rows, users and sessions.
        "SHOUTOUT_EXAMPLE_DB": str(tmp_path / "shared.sqlite3"),
    }
    sender = live_server_factory("sender", **env)
    receiver = live_server_factory("receiver", **env)
    token = sender.create_user("owner", staff=True)

    await check_delivery(sender, receiver, token, "owner")
