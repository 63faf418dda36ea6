"""Delivery order on a real daphne server: update ids only grow, nothing stale or foreign arrives.

Senders use the REST API over HTTP (and the WebSocket for some writes);
receivers are ``websockets`` clients. Objects are public, so receivers read
them anonymously, except where a test needs a logged-in socket.
"""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live_clients import (
    DATA_FRAMES,
    FRAME_TIMEOUT,
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

SENDERS = 4
UPDATES = 1000


@pytest.fixture
def live_server(live_server_factory):
    """The example project with a per-connection write rate above what these tests send.

    The WebSocket writers here send as fast as the server acknowledges,
    which is more than the default SHOUTOUT['WRITE_RATE_PER_CONNECTION'].
    """
    return live_server_factory(SHOUTOUT_SETTINGS_JSON=json.dumps({"WRITE_RATE_PER_CONNECTION": 10_000}))


@pytest.fixture
def owner(live_server):
    """A DRF token of the staff user "owner", who creates and writes every object."""
    return live_server.create_user("owner", staff=True)


@pytest.fixture
def rest(live_server, owner):
    client = RestClient(live_server, owner)
    yield client
    client.close()


def ids_of(frames):
    return [frame["update_id"] for frame in frames]


def data_frames(frames):
    return [frame for frame in frames if frame["type"] in DATA_FRAMES]


class Follower:
    """Receives one object's frames on a socket, optionally resubscribing every N data frames.

    Data frames are grouped by subscription in ``subscriptions``. The follower
    stops once :meth:`finish` has set the final update id and the current
    subscription has reached that id.
    """

    def __init__(self, ws, object_id, resubscribe_every=None):
        self.ws = ws
        self.object_id = object_id
        self.resubscribe_every = resubscribe_every
        self.subscriptions = []
        self.errors = []
        self.subscribed = asyncio.Event()
        self.final_update_id = None
        self._received = 0
        self._active = False

    async def run(self):
        await send(self.ws, {"type": "subscribe", "id": self.object_id})
        async with asyncio.timeout(10 * FRAME_TIMEOUT):
            async for text in self.ws:
                await self._handle(json.loads(text))
                if self._reached_final():
                    return

    async def finish(self, final_update_id):
        """Set the update id to stop at, and wake the follower with a ping in case it has it already."""
        self.final_update_id = final_update_id
        await send(self.ws, {"type": "ping", "ref": "finish"})

    def _reached_final(self):
        if self.final_update_id is None or not self._active:
            return False
        current = self.subscriptions[-1]
        return bool(current) and current[-1]["update_id"] == self.final_update_id

    async def _handle(self, frame):
        if frame["type"] == "subscribed":
            self.subscriptions.append([])
            self._active = True
            self.subscribed.set()
        elif frame["type"] == "unsubscribed":
            await send(self.ws, {"type": "subscribe", "id": self.object_id})
        elif frame["type"] == "error":
            self.errors.append(frame)
        elif frame["type"] in DATA_FRAMES:
            self.subscriptions[-1].append(frame)
            self._received += 1
            if self.resubscribe_every and self._received % self.resubscribe_every == 0:
                self._active = False
                await send(self.ws, {"type": "unsubscribe", "id": self.object_id})


def send_updates(server, token, object_id, sender, own_update_ids):
    """Post this sender's share of the updates; return ``(accepted, stale)`` responses as dicts.

    With ``own_update_ids`` sender ``i`` posts ids ``i + 1``, ``i + 1 + SENDERS``, ...;
    otherwise the server assigns them.
    """
    client = RestClient(server, token)
    accepted, stale = {}, {}
    try:
        for number in range(sender, UPDATES, SENDERS):
            data = {"pct": number, "sender": sender}
            update_id = number + 1 if own_update_ids else None
            response = client.update(object_id, data, update_id=update_id)
            if response.status_code == 200:
                accepted[response.json()["update_id"]] = data
            elif response.status_code == 409:
                stale[update_id] = response.json()
            else:
                response.raise_for_status()
    finally:
        client.close()
    return accepted, stale


def run_senders(server, token, object_id, own_update_ids=False):
    """Run the senders in parallel threads; return the merged ``(accepted, stale)``."""
    with ThreadPoolExecutor(SENDERS) as pool:
        futures = [
            pool.submit(send_updates, server, token, object_id, sender, own_update_ids)
            for sender in range(SENDERS)
        ]
        results = [future.result() for future in futures]
    accepted, stale = {}, {}
    for sender_accepted, sender_stale in results:
        accepted.update(sender_accepted)
        stale.update(sender_stale)
    return accepted, stale


async def follow_concurrent_senders(server, token, rest, resubscribe_every=None, own_update_ids=False):
    """Subscribe a follower, run the senders, and return ``(follower, accepted, stale, final id)``."""
    object_id = rest.create(security="public", data={"pct": None})
    async with connect(server) as ws:
        follower = Follower(ws, object_id, resubscribe_every)
        following = asyncio.create_task(follower.run())
        await asyncio.wait_for(follower.subscribed.wait(), FRAME_TIMEOUT)

        accepted, stale = await asyncio.to_thread(run_senders, server, token, object_id, own_update_ids)
        final = rest.get(object_id)["update_id"]
        await follower.finish(final)
        await asyncio.wait_for(following, FRAME_TIMEOUT)
    return follower, accepted, stale, final


# Concurrent senders.


async def test_concurrent_senders_never_move_progress_back(live_server, owner, rest):
    follower, accepted, _, final = await follow_concurrent_senders(live_server, owner, rest)

    [frames] = follower.subscriptions
    assert len(accepted) == UPDATES
    assert final == max(accepted)
    assert is_strictly_increasing(ids_of(frames))
    assert frames[-1]["update_id"] == final
    assert frames[-1]["data"] == accepted[final]
    assert all(frame["data"] == accepted[frame["update_id"]] for frame in frames[1:])
    assert follower.errors == []


async def test_resubscribing_follower_ends_on_final_state(live_server, owner, rest):
    follower, accepted, _, final = await follow_concurrent_senders(
        live_server, owner, rest, resubscribe_every=50
    )

    assert len(follower.subscriptions) > 1
    for frames in follower.subscriptions:
        assert frames[0]["type"] == "snapshot"
        assert is_strictly_increasing(ids_of(frames))
    last = follower.subscriptions[-1][-1]
    assert last["update_id"] == final
    assert last["data"] == accepted[final]
    assert follower.errors == []


async def test_stale_sender_ids_get_409_and_never_arrive(live_server, owner, rest):
    follower, accepted, stale, final = await follow_concurrent_senders(
        live_server, owner, rest, own_update_ids=True
    )

    [frames] = follower.subscriptions
    received = set(ids_of(frames[1:]))
    assert len(accepted) + len(stale) == UPDATES
    assert all(body["code"] == "stale" for body in stale.values())
    assert all(body["current_update_id"] >= update_id for update_id, body in stale.items())
    assert received <= set(accepted)
    assert received.isdisjoint(stale)
    assert is_strictly_increasing(ids_of(frames))
    assert final == UPDATES
    assert frames[-1]["update_id"] == final


# Control frames.


async def test_control_frames_never_carry_update_id(live_server, owner, rest):
    other_token = live_server.create_user("other")
    other = RestClient(live_server, other_token)
    watched = rest.create(security="public", data={"step": 0})
    written = rest.create(security="public")
    deleted = rest.create(security="public")
    foreign = other.create(security="public")
    other.close()
    session_id = login_session(live_server, "owner")

    async with connect(live_server, session_id) as ws:
        await send(ws, {"type": "subscribe", "id": watched, "ref": "first"})
        frames = [await receive(ws), await receive(ws)]
        for step in range(1, 7):
            assert rest.update(watched, {"step": step}).status_code == 200
        frames += await receive_until(ws, lambda frame: frame.get("update_id") == 6)

        # Every frame type that is not data: subscribed again (no snapshot
        # follows, the socket has update 6), pong, unknown type, a
        # permission error, the ack of a write, unsubscribed, deleted.
        provocations = [
            ({"type": "subscribe", "id": watched, "ref": "again"}, "subscribed"),
            ({"type": "ping", "ref": "keepalive"}, "pong"),
            ({"type": "shout", "ref": "unknown"}, "error"),
            ({"type": "update", "id": foreign, "data": 1, "ref": "perm"}, "error"),
            ({"type": "update", "id": written, "data": 1, "ref": "write"}, "ack"),
            ({"type": "unsubscribe", "id": written, "ref": "bye"}, "unsubscribed"),
        ]
        for frame, expected_type in provocations:
            await send(ws, frame)
            answer = await receive(ws)
            assert answer["type"] == expected_type
            frames.append(answer)
        await subscribe(ws, deleted)
        assert rest.delete(deleted).status_code == 204
        frames.append(await receive(ws))

    assert [frame["type"] for frame in frames[:2]] == ["subscribed", "snapshot"]
    for frame in frames:
        assert ("update_id" in frame) == (frame["type"] in DATA_FRAMES)
    assert [frame["code"] for frame in frames if frame["type"] == "error"] == ["unknown_type", "forbidden"]
    assert frames[-1] == {"type": "deleted", "id": deleted}

    async with connect(live_server, session_id) as ws:
        snapshot = await subscribe(ws, watched)
    assert snapshot["update_id"] == 6
    assert snapshot["data"] == {"step": 6}


# Late subscribers.


async def test_late_subscriber_sees_final_state(live_server, owner, rest):
    object_id = rest.create(security="public", data={"step": 0})
    for step in range(1, 11):
        rest.update(object_id, {"step": step})

    async with connect(live_server) as early:
        early_snapshot = await subscribe(early, object_id)
    await asyncio.sleep(5)
    async with connect(live_server) as late:
        late_snapshot = await subscribe(late, object_id)

    for snapshot in (early_snapshot, late_snapshot):
        assert snapshot["update_id"] == 10
        assert snapshot["data"] == {"step": 10}


async def test_subscribe_racing_a_write_ends_on_that_write(live_server, owner, rest):
    object_id = rest.create(security="public", data={"round": None})
    session_id = login_session(live_server, "owner")

    async def write_over_socket(writer, data):
        await send(writer, {"type": "update", "id": object_id, "data": data})
        ack = await receive(writer)
        assert ack["type"] == "ack"
        return ack["accepted_update_id"]

    async def write_over_http(data):
        response = await asyncio.to_thread(rest.update, object_id, data)
        response.raise_for_status()
        return response.json()["update_id"]

    async with connect(live_server) as reader, connect(live_server, session_id) as writer:
        for round_number in range(500):
            data = {"round": round_number}
            write = write_over_socket(writer, data) if round_number % 2 else write_over_http(data)
            _, update_id = await asyncio.gather(
                send(reader, {"type": "subscribe", "id": object_id}), write
            )
            frames = await receive_until(reader, lambda frame: frame.get("update_id") == update_id)
            await send(reader, {"type": "unsubscribe", "id": object_id})
            frames += await receive_until(reader, lambda frame: frame["type"] == "unsubscribed")

            received = data_frames(frames)
            assert frames[0]["type"] == "subscribed"
            assert is_strictly_increasing(ids_of(received))
            assert received[-1]["update_id"] == update_id
            assert received[-1]["data"] == data


# Fan-out to several sockets and objects.


async def test_each_subscription_gets_own_updates_once(live_server, owner, rest):
    first = rest.create(security="public", data={"object": "first", "n": 0})
    second = rest.create(security="public", data={"object": "second", "n": 0})
    names = {first: "first", second: "second"}

    async with connect(live_server) as one, connect(live_server) as two, connect(live_server) as both:
        await subscribe(one, first)
        await subscribe(two, first)
        await subscribe(both, first, ref="first")
        await subscribe(both, second, ref="second")
        for n in range(1, 11):
            assert rest.update(first, {"object": "first", "n": n}).status_code == 200
            if n % 3 == 0:
                assert rest.update(second, {"object": "second", "n": n // 3}).status_code == 200

        received = {
            "one": await receive_until(one, lambda frame: frame.get("update_id") == 10),
            "two": await receive_until(two, lambda frame: frame.get("update_id") == 10),
            "both": await receive_both(both, first, second),
        }

    for frames in received.values():
        for object_id, name in names.items():
            own = [frame for frame in frames if frame["id"] == object_id]
            assert is_strictly_increasing(ids_of(own))
            assert all(frame["data"]["object"] == name for frame in own)
    assert all(frame["id"] == first for frame in received["one"] + received["two"])
    for frames in received.values():
        assert [frame for frame in frames if frame["id"] == first][-1]["update_id"] == 10
    assert [frame for frame in received["both"] if frame["id"] == second][-1]["update_id"] == 3


async def receive_both(ws, first, second):
    """Receive until the first object reached update 10 and the second update 3."""
    frames = []
    async with asyncio.timeout(FRAME_TIMEOUT):
        while not {(first, 10), (second, 3)} <= {(frame["id"], frame["update_id"]) for frame in frames}:
            frames.append(await receive(ws))
    return frames
