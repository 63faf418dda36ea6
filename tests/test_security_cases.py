"""Security cases played by real clients against a real daphne server.

The live tests share one server per module, and each makes its own objects.
Their clients are ``requests`` and ``websockets``, as in scripts that use
ShoutOut without a browser, and send traffic to 127.0.0.1 only. A few tests
run in-process instead, through Channels' ``WebsocketCommunicator`` or DRF's
``APIClient``, where they need other settings. Origins such as
``https://evil.example`` are header values: nothing connects to them.
"""

import json
import time

import pytest
import requests
import websockets
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from shoutout import api
from shoutout.routing import websocket_application
from tests.conftest import LiveServer
from tests.live_clients import FRAME_TIMEOUT, HTTP_TIMEOUT, receive, send, subscribe

EVIL_ORIGIN = "https://evil.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start one daphne process for the module, with the users alice, bob and carol.

    alice is staff so that she can log in through the admin login form, and
    carol is staff to test what staff may read but not write.
    """
    live = LiveServer(tmp_path_factory.mktemp("security-server"))
    live.start()
    live.keys = {
        "alice": live.create_user("alice", staff=True),
        "bob": live.create_user("bob"),
        "carol": live.create_user("carol", staff=True),
    }
    yield live
    live.stop()


def call(server, method, path="", *, user=None, capability=None, body=None, headers=None):
    """Send one REST request to the objects API, as ``user`` (DRF token) or anonymously."""
    headers = dict(headers or {})
    if user is not None:
        headers["Authorization"] = f"Token {server.keys[user]}"
    if capability is not None:
        headers["X-ShoutOut-Token"] = capability
    with requests.Session() as session:
        session.trust_env = False
        return session.request(
            method, f"{server.url}/shoutout/api/objects/{path}", json=body, headers=headers, timeout=HTTP_TIMEOUT
        )


def create(server, user="alice", **fields) -> dict:
    """Create an object and return the create response body, tokens included."""
    response = call(server, "POST", user=user, body=fields)
    response.raise_for_status()
    return response.json()


def open_socket(server, *, user=None, headers=None, origin=None, query=""):
    """Open a WebSocket without cookies; ``user`` sends that user's DRF token in the handshake."""
    headers = dict(headers or {})
    if user is not None:
        headers["Authorization"] = f"Token {server.keys[user]}"
    return websockets.connect(
        server.ws_url + query, origin=origin, additional_headers=headers, proxy=None, open_timeout=FRAME_TIMEOUT
    )


async def exchange(ws, frame) -> dict:
    """Send a frame and return the next frame received."""
    await send(ws, frame)
    return await receive(ws)


def login(server, username) -> requests.Session:
    """Log a staff user in through the admin login form; return the session with its cookies."""
    session = requests.Session()
    session.trust_env = False
    login_url = f"{server.url}/admin/login/"
    session.get(login_url, timeout=HTTP_TIMEOUT).raise_for_status()
    form = {
        "username": username,
        "password": "pw",
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
        "next": "/admin/",
    }
    session.post(login_url, data=form, timeout=HTTP_TIMEOUT).raise_for_status()
    assert "sessionid" in session.cookies
    return session


def server_log_contains(server, text, timeout=FRAME_TIMEOUT) -> bool:
    """Return whether ``text`` appears in the server log within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.log_path.read_text():
            return True
        time.sleep(0.1)
    return False


# Non-browser clients authenticate without cookies.


@pytest.mark.server
async def test_authorization_header_opens_private_object(server):
    object_id = create(server, security="private", data={"pct": 5})["id"]
    async with open_socket(server, user="alice") as ws:
        snapshot = await subscribe(ws, object_id)
    assert snapshot["data"] == {"pct": 5}


@pytest.mark.server
async def test_auth_frame_opens_private_object(server):
    object_id = create(server, security="private", data={"pct": 6})["id"]
    async with open_socket(server) as ws:
        authenticated = await exchange(ws, {"type": "auth", "token": server.keys["alice"]})
        snapshot = await subscribe(ws, object_id)
    assert authenticated == {"type": "authenticated", "user": "alice"}
    assert snapshot["data"] == {"pct": 6}


@pytest.mark.server
async def test_read_token_in_subscribe_opens_private_object(server):
    created = create(server, security="private", data={"pct": 7})
    async with open_socket(server) as ws:
        await send(ws, {"type": "subscribe", "id": created["id"], "token": created["read_token"], "ref": "s"})
        subscribed = await receive(ws)
        snapshot = await receive(ws)
    assert subscribed == {"type": "subscribed", "id": created["id"], "ref": "s"}
    assert snapshot["data"] == {"pct": 7}


@pytest.mark.server
async def test_credentials_stay_out_of_url_and_log(server):
    created = create(server, security="private")
    async with open_socket(server, user="alice") as ws:
        await subscribe(ws, created["id"])
        path = ws.request.path
    async with open_socket(server) as ws:
        await exchange(ws, {"type": "auth", "token": server.keys["alice"]})
        await send(ws, {"type": "subscribe", "id": created["id"], "token": created["read_token"]})
        await receive(ws)
    log = server.log_path.read_text()
    assert path == "/ws/shoutout/"
    assert server.keys["alice"] not in log
    assert created["read_token"] not in log


# Identity comes from credentials, never from what the client claims.


def user_pk(server, username) -> int:
    script = (
        "from django.contrib.auth import get_user_model;"
        f"print(get_user_model().objects.get(username={username!r}).pk)"
    )
    return int(server.manage("shell", "-c", script).stdout.split()[-1])


@pytest.mark.server
async def test_claimed_user_in_frame_ignored(server):
    """A user id or name in frames or in the query string grants nothing."""
    private_id = create(server, security="private")["id"]
    public_id = create(server, security="public")["id"]
    alice_pk = user_pk(server, "alice")
    claims = {"user": alice_pk, "user_id": alice_pk, "username": "alice"}

    async with open_socket(server, query=f"?user={alice_pk}&username=alice") as ws:
        subscribe_reply = await exchange(ws, {"type": "subscribe", "id": private_id, **claims})
        update_reply = await exchange(ws, {"type": "update", "id": public_id, "data": 1, **claims})
        auth_reply = await exchange(ws, {"type": "auth", "token": None, **claims})

    assert subscribe_reply["code"] == "not_found"
    assert update_reply["code"] == "forbidden"
    assert auth_reply["code"] == "not_authenticated"


@pytest.mark.server
async def test_claimed_user_in_headers_is_ignored(server):
    private_id = create(server, security="private")["id"]
    claims = {"Remote-User": "alice", "X-Remote-User": "alice", "X-Forwarded-User": "alice"}
    async with open_socket(server, headers=claims) as ws:
        subscribe_reply = await exchange(ws, {"type": "subscribe", "id": private_id})
    rest_reply = call(server, "GET", f"{private_id}/", headers=claims)
    assert subscribe_reply["code"] == "not_found"
    assert rest_reply.status_code == 404


@pytest.mark.server
def test_claimed_owner_in_create_is_ignored(server):
    created = create(server, owner="bob")
    assert created["owner"] == "alice"


@pytest.mark.server
def test_anonymous_create_claiming_owner_is_rejected(server):
    response = call(server, "POST", body={"owner": "alice"})
    assert response.status_code == 401


@pytest.mark.server
async def test_token_in_url_is_ignored(server):
    created = create(server, security="private")
    query = f"?token={created['read_token']}"
    rest_reply = call(server, "GET", f"{created['id']}/{query}")
    async with open_socket(server, query=query) as ws:
        subscribe_reply = await exchange(ws, {"type": "subscribe", "id": created["id"]})
    assert rest_reply.status_code == 404
    assert subscribe_reply["code"] == "not_found"


# Another site cannot open a socket with the user's cookie.


async def handshake_status(server, origin, session) -> int:
    """Open a socket with the session cookie and ``origin``; return the HTTP status of the handshake."""
    cookie = {"Cookie": f"sessionid={session.cookies['sessionid']}"}
    try:
        async with open_socket(server, headers=cookie, origin=origin):
            return 101
    except websockets.exceptions.InvalidStatus as exc:
        return exc.response.status_code


@pytest.mark.server
async def test_foreign_origin_with_session_is_rejected(server):
    session = login(server, "alice")
    assert await handshake_status(server, EVIL_ORIGIN, session) == 403


@pytest.mark.server
async def test_rejected_origin_is_logged(server):
    session = login(server, "alice")
    origin = "https://logged-origin.evil.example"
    await handshake_status(server, origin, session)
    assert server_log_contains(server, origin)


@pytest.mark.server
async def test_origin_with_wrong_scheme_is_rejected(server):
    session = login(server, "alice")
    origin = f"https://127.0.0.1:{server.port}"
    assert await handshake_status(server, origin, session) == 403


@pytest.mark.server
async def test_origin_with_wrong_port_is_rejected(server):
    session = login(server, "alice")
    origin = f"http://127.0.0.1:{server.port + 1}"
    assert await handshake_status(server, origin, session) == 403


@pytest.mark.server
async def test_same_origin_with_session_opens_private_object(server):
    object_id = create(server, security="private", data={"pct": 8})["id"]
    cookie = {"Cookie": f"sessionid={login(server, 'alice').cookies['sessionid']}"}
    async with open_socket(server, headers=cookie, origin=server.url) as ws:
        snapshot = await subscribe(ws, object_id)
    assert snapshot["data"] == {"pct": 8}


@pytest.mark.server
async def test_handshake_without_origin_is_accepted(server):
    session = login(server, "alice")
    assert await handshake_status(server, None, session) == 101


def session_cookie(user):
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


async def in_process_socket(user, origin):
    cookie = await database_sync_to_async(session_cookie)(user)
    headers = [cookie, (b"host", b"127.0.0.1:8000"), (b"origin", origin.encode())]
    return WebsocketCommunicator(websocket_application(), "/ws/shoutout/", headers=headers)


@pytest.mark.django_db(transaction=True)
async def test_listed_origin_opens_private_object(django_user_model):
    alice = await django_user_model.objects.acreate(username="alice")
    # Changing settings resets the in-memory store, so the object is made after.
    with override_settings(SHOUTOUT={"ALLOWED_ORIGINS": ["https://app.example.net"]}):
        object_id = (await api.acreate(owner=alice, security="private")).id
        communicator = await in_process_socket(alice, "https://app.example.net")
        connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
        await communicator.send_to(text_data=json.dumps({"type": "subscribe", "id": object_id}))
        subscribed = await communicator.receive_json_from(timeout=FRAME_TIMEOUT)
        await communicator.disconnect()
    assert connected
    assert subscribed["type"] == "subscribed"


@pytest.mark.django_db(transaction=True)
async def test_foreign_origin_logged_in_process(django_user_model, caplog):
    alice = await django_user_model.objects.acreate(username="alice")
    communicator = await in_process_socket(alice, EVIL_ORIGIN)
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
    assert not connected
    assert EVIL_ORIGIN in caplog.text


# Write permission is checked on every write path.


GUARDS = {
    # Case: (fields of the object, the user who may read it but not write it).
    "public": ({"security": "public"}, "bob"),
    "reader": ({"security": "private", "readers": ["bob"]}, "bob"),
    "staff": ({"security": "private"}, "carol"),
}


@pytest.fixture(params=list(GUARDS))
def guarded(request, server):
    """An object of alice, and in ``reader`` the user who may read it but not write it."""
    fields, reader = GUARDS[request.param]
    created = create(server, data={"pct": 10}, ttl=600, **fields)
    call(server, "POST", f"{created['id']}/state/", user="alice", body={"data": {"pct": 20}}).raise_for_status()
    return {**created, "reader": reader}


async def check_untouched(server, ws, created):
    """Check that the object is as ``guarded`` made it and that ``ws`` got no frame before alice's next write."""
    object_id = created["id"]
    current = call(server, "GET", f"{object_id}/", user="alice").json()
    assert current["update_id"] == 1
    assert current["data"] == {"pct": 20}
    assert current["ttl"] == 600
    assert current["security"] == created["security"]
    assert current["readers"] == created["readers"]
    assert current["writers"] == []

    call(server, "POST", f"{object_id}/state/", user="alice", body={"data": {"pct": 30}}).raise_for_status()
    assert await receive(ws) == {"type": "state", "id": object_id, "update_id": 2, "data": {"pct": 30}}


@pytest.mark.server
async def test_reader_rest_writes_are_forbidden(server, guarded):
    object_id, reader = guarded["id"], guarded["reader"]
    async with open_socket(server, user="alice") as ws:
        await subscribe(ws, object_id)
        responses = [
            call(server, "POST", f"{object_id}/state/", user=reader, body={"data": {"pct": 99}}),
            call(server, "POST", f"{object_id}/state/", user=reader, body={"data": {"pct": 99}, "update_id": 50}),
            call(server, "POST", f"{object_id}/messages/", user=reader, body={"payload": "hi"}),
            call(server, "DELETE", f"{object_id}/", user=reader),
        ]
        for response in responses:
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"
        await check_untouched(server, ws, guarded)


@pytest.mark.server
async def test_reader_websocket_writes_are_forbidden(server, guarded):
    object_id = guarded["id"]
    async with open_socket(server, user="alice") as ws, open_socket(server, user=guarded["reader"]) as reader_ws:
        await subscribe(ws, object_id)
        await subscribe(reader_ws, object_id)
        replies = [
            await exchange(reader_ws, {"type": "update", "id": object_id, "data": {"pct": 99}}),
            await exchange(reader_ws, {"type": "update", "id": object_id, "data": {"pct": 99}, "update_id": 50}),
            await exchange(reader_ws, {"type": "message", "id": object_id, "payload": "hi"}),
        ]
        for frame in replies:
            assert frame["type"] == "error"
            assert frame["code"] == "forbidden"
        await check_untouched(server, ws, guarded)


@pytest.mark.server
async def test_reader_cannot_change_settings(server, guarded):
    object_id, reader = guarded["id"], guarded["reader"]
    changes = [
        {"ttl": 60},
        {"security": "public" if guarded["security"] != "public" else "private"},
        {"readers": [reader, "alice"]},
        {"readers": []},
        {"writers": [reader]},
    ]
    async with open_socket(server, user="alice") as ws:
        await subscribe(ws, object_id)
        for change in changes:
            response = call(server, "PATCH", f"{object_id}/", user=reader, body=change)
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"
        await check_untouched(server, ws, guarded)


@pytest.mark.server
async def test_reader_cannot_mint_or_revoke_tokens(server, guarded):
    object_id, reader = guarded["id"], guarded["reader"]
    async with open_socket(server, user="alice") as ws:
        await subscribe(ws, object_id)
        responses = [
            call(server, "POST", f"{object_id}/tokens/", user=reader, body={"scope": "read"}),
            call(server, "POST", f"{object_id}/tokens/", user=reader, body={"scope": "write"}),
            call(server, "POST", f"{object_id}/tokens/revoke/", user=reader),
        ]
        for response in responses:
            assert response.status_code == 403
            assert response.json()["code"] == "forbidden"
        await check_untouched(server, ws, guarded)

    async with open_socket(server) as anonymous:
        await send(anonymous, {"type": "subscribe", "id": object_id, "token": guarded["read_token"]})
        assert (await receive(anonymous))["type"] == "subscribed"


@pytest.mark.server
async def test_read_token_does_not_grant_writes(server, guarded):
    object_id, token = guarded["id"], guarded["read_token"]
    async with open_socket(server, user="alice") as ws, open_socket(server) as anonymous:
        await subscribe(ws, object_id)
        responses = [
            call(server, "POST", f"{object_id}/state/", capability=token, body={"data": {"pct": 99}}),
            call(server, "POST", f"{object_id}/messages/", capability=token, body={"payload": "hi"}),
            call(server, "DELETE", f"{object_id}/", capability=token),
        ]
        replies = [
            await exchange(anonymous, {"type": "update", "id": object_id, "data": {"pct": 99}, "token": token}),
            await exchange(anonymous, {"type": "message", "id": object_id, "payload": "hi", "token": token}),
        ]
        for response in responses:
            assert response.status_code == 403
            assert response.json()["code"] == "token_wrong_scope"
        for frame in replies:
            assert frame["code"] == "token_wrong_scope"
        await check_untouched(server, ws, guarded)


@pytest.mark.server
async def test_write_token_does_not_grant_configure(server, guarded):
    object_id, token, reader = guarded["id"], guarded["write_token"], guarded["reader"]
    async with open_socket(server, user="alice") as ws:
        await subscribe(ws, object_id)
        responses = [
            call(server, "PATCH", f"{object_id}/", capability=token, body={"ttl": 60}),
            call(server, "PATCH", f"{object_id}/", capability=token, body={"readers": []}),
            call(server, "POST", f"{object_id}/tokens/", capability=token, body={"scope": "read"}),
            call(server, "POST", f"{object_id}/tokens/revoke/", capability=token),
            call(server, "PATCH", f"{object_id}/", user=reader, capability=token, body={"writers": [reader]}),
        ]
        for response in responses:
            assert response.status_code in (403, 404)
        await check_untouched(server, ws, guarded)


# Session-authenticated REST writes need the CSRF token; DRF-token ones do not.


def objects_url(server, path=""):
    return f"{server.url}/shoutout/api/objects/{path}"


@pytest.mark.server
def test_session_create_without_csrf_token_is_forbidden(server):
    with login(server, "alice") as session:
        response = session.post(objects_url(server), json={"security": "private"}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 403


@pytest.mark.server
def test_session_create_with_csrf_token_succeeds(server):
    with login(server, "alice") as session:
        headers = {"X-CSRFToken": session.cookies["csrftoken"]}
        response = session.post(objects_url(server), json={}, headers=headers, timeout=HTTP_TIMEOUT)
    assert response.status_code == 201


@pytest.mark.server
def test_session_writes_without_csrf_token_change_nothing(server):
    object_id = create(server, data={"pct": 1}, ttl=600)["id"]
    with login(server, "alice") as session:
        responses = [
            session.post(objects_url(server, f"{object_id}/state/"), json={"data": 2}, timeout=HTTP_TIMEOUT),
            session.post(objects_url(server, f"{object_id}/messages/"), json={"payload": 2}, timeout=HTTP_TIMEOUT),
            session.patch(objects_url(server, f"{object_id}/"), json={"ttl": 60}, timeout=HTTP_TIMEOUT),
            session.post(objects_url(server, f"{object_id}/tokens/revoke/"), timeout=HTTP_TIMEOUT),
            session.delete(objects_url(server, f"{object_id}/"), timeout=HTTP_TIMEOUT),
        ]
    for response in responses:
        assert response.status_code == 403
    current = call(server, "GET", f"{object_id}/", user="alice").json()
    assert current["update_id"] == 0
    assert current["ttl"] == 600


@pytest.mark.server
def test_session_writes_with_csrf_token_succeed(server):
    object_id = create(server, data={"pct": 1})["id"]
    with login(server, "alice") as session:
        session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
        update = session.post(objects_url(server, f"{object_id}/state/"), json={"data": 2}, timeout=HTTP_TIMEOUT)
        patch = session.patch(objects_url(server, f"{object_id}/"), json={"ttl": 60}, timeout=HTTP_TIMEOUT)
    assert update.status_code == 200
    assert patch.status_code == 200


@pytest.mark.server
def test_drf_token_writes_need_no_csrf_token(server):
    created = call(server, "POST", user="alice", body={"data": 1})
    object_id = created.json()["id"]
    update = call(server, "POST", f"{object_id}/state/", user="alice", body={"data": 2})
    patch = call(server, "PATCH", f"{object_id}/", user="alice", body={"ttl": 60})
    assert created.status_code == 201
    assert update.status_code == 200
    assert patch.status_code == 200


@pytest.fixture
def csrf_client(django_user_model):
    """An APIClient that enforces CSRF checks, logged in with a session, with a CSRF cookie."""
    alice = django_user_model.objects.create_user("alice", password="pw")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/admin/login/")
    return client


@pytest.mark.django_db
def test_apiclient_write_without_csrf_is_forbidden(csrf_client):
    object_id = csrf_client.post("/shoutout/api/objects/", {}, format="json",
                                 HTTP_X_CSRFTOKEN=csrf_client.cookies["csrftoken"].value).json()["id"]
    response = csrf_client.post(f"/shoutout/api/objects/{object_id}/state/", {"data": 2}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_apiclient_write_with_csrf_succeeds(csrf_client):
    token = csrf_client.cookies["csrftoken"].value
    object_id = csrf_client.post("/shoutout/api/objects/", {}, format="json", HTTP_X_CSRFTOKEN=token).json()["id"]
    response = csrf_client.post(
        f"/shoutout/api/objects/{object_id}/state/", {"data": 2}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
