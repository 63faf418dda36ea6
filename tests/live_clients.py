"""Clients of a live ShoutOut server (the ``live_server`` fixture) for tests.

REST calls go through ``requests`` with a DRF token, WebSocket frames through
the ``websockets`` package. Every call has a timeout, so a hung server fails a
test instead of hanging it. Proxies from the environment are ignored, because
the server is always on a loopback address.
"""

import asyncio
import json

import requests
import websockets

# Seconds allowed for one HTTP request or one WebSocket frame.
HTTP_TIMEOUT = 30
FRAME_TIMEOUT = 30

# Server frame types that carry an update id.
DATA_FRAMES = ("snapshot", "state", "message")


class RestClient:
    """ShoutOut's REST API on a live server, authenticated with a DRF token.

    A ``requests.Session`` is not safe to share between threads, so each
    sending thread makes its own client.
    """

    def __init__(self, server, token):
        self.objects_url = f"{server.url}/shoutout/api/objects/"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Token {token}"

    def create(self, **fields) -> str:
        """Create an object and return its id."""
        response = self.session.post(self.objects_url, json=fields, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        return response.json()["id"]

    def get(self, object_id) -> dict:
        response = self.session.get(f"{self.objects_url}{object_id}/", timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        return response.json()

    def update(self, object_id, data, update_id=None) -> requests.Response:
        return self._write(f"{self.objects_url}{object_id}/state/", {"data": data}, update_id)

    def publish(self, object_id, payload, update_id=None) -> requests.Response:
        return self._write(f"{self.objects_url}{object_id}/messages/", {"payload": payload}, update_id)

    def delete(self, object_id) -> requests.Response:
        return self.session.delete(f"{self.objects_url}{object_id}/", timeout=HTTP_TIMEOUT)

    def _write(self, url, body, update_id):
        if update_id is not None:
            body["update_id"] = update_id
        return self.session.post(url, json=body, timeout=HTTP_TIMEOUT)

    def close(self):
        self.session.close()


def login_session(server, username, password="pw") -> str:
    """Log a staff user in through the admin login form and return the session id."""
    session = requests.Session()
    session.trust_env = False
    login_url = f"{server.url}/admin/login/"
    session.get(login_url, timeout=HTTP_TIMEOUT).raise_for_status()
    form = {
        "username": username,
        "password": password,
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
        "next": "/admin/",
    }
    session.post(login_url, data=form, timeout=HTTP_TIMEOUT).raise_for_status()
    session_id = session.cookies.get("sessionid")
    if session_id is None:
        raise AssertionError(f"Logging {username!r} in through {login_url} set no session cookie.")
    return session_id


def connect(server, session_id=None):
    """Open a WebSocket to the server, logged in when ``session_id`` is given."""
    headers = {} if session_id is None else {"Cookie": f"sessionid={session_id}"}
    return websockets.connect(
        server.ws_url, origin=server.url, additional_headers=headers, proxy=None, open_timeout=FRAME_TIMEOUT
    )


async def send(ws, frame):
    await ws.send(json.dumps(frame))


async def receive(ws, timeout=FRAME_TIMEOUT) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def subscribe(ws, object_id, ref="sub") -> dict:
    """Subscribe and return the snapshot frame that follows the ``subscribed`` frame."""
    await send(ws, {"type": "subscribe", "id": object_id, "ref": ref})
    subscribed = await receive(ws)
    if subscribed != {"type": "subscribed", "id": object_id, "ref": ref}:
        raise AssertionError(f"Expected the subscribed frame, got {subscribed}.")
    return await receive(ws)


async def receive_until(ws, predicate, timeout=FRAME_TIMEOUT) -> list:
    """Receive frames until one matches ``predicate``; return them all, that one last."""
    frames = []
    async with asyncio.timeout(timeout):
        while not frames or not predicate(frames[-1]):
            frames.append(json.loads(await ws.recv()))
    return frames


def is_strictly_increasing(numbers) -> bool:
    return all(a < b for a, b in zip(numbers, numbers[1:]))
