"""Authentication of WebSocket clients with DRF tokens (shoutout.auth)."""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from rest_framework.authtoken.models import Token

from shoutout import api
from shoutout.auth import TokenAuthMiddleware, _authorization_key, user_for_token
from shoutout.routing import websocket_application

pytestmark = pytest.mark.django_db(transaction=True)

# Seconds to wait for one frame; generous, so a slow machine does not fail a test.
TIMEOUT = 5


@pytest.fixture
def alice_key(alice):
    return Token.objects.create(user=alice).key


@pytest.fixture
def inactive_key(django_user_model):
    user = django_user_model.objects.create_user("carol", password="pw", is_active=False)
    return Token.objects.create(user=user).key


def headers_scope(*headers):
    return {"type": "websocket", "headers": list(headers)}


# Parsing the Authorization header.


@pytest.mark.parametrize(
    "value, key",
    [
        (b"Token abc123", "abc123"),
        (b"token abc123", "abc123"),
        (b"TOKEN abc123", "abc123"),
        (b"Token   abc123  ", "abc123"),
    ],
)
def test_authorization_header_key_is_read(value, key):
    assert _authorization_key(headers_scope((b"authorization", value))) == key


@pytest.mark.parametrize(
    "value",
    [b"Bearer abc123", b"Basic YWxpY2U6cHc=", b"Token", b"Token ", b"Token    ", b"Tokenabc123", b""],
)
def test_other_authorization_header_is_ignored(value):
    assert _authorization_key(headers_scope((b"authorization", value))) is None


def test_missing_authorization_header_gives_no_key():
    assert _authorization_key(headers_scope((b"host", b"127.0.0.1"))) is None


# Looking up a key.


async def test_known_key_gives_its_user(alice, alice_key):
    user = await user_for_token(alice_key)
    assert user.pk == alice.pk


async def test_unknown_key_gives_no_user():
    assert await user_for_token("0" * 40) is None


async def test_inactive_user_key_gives_no_user(inactive_key):
    assert await user_for_token(inactive_key) is None


@pytest.mark.parametrize("key", [None, "", 42, ["abc"], "k" * 129])
async def test_malformed_key_gives_no_user(key):
    assert await user_for_token(key) is None


async def test_rejected_key_is_logged_without_key(caplog):
    key = "f" * 40
    with caplog.at_level(logging.WARNING, logger="shoutout.security"):
        await user_for_token(key)
    assert len(caplog.records) == 1
    assert key not in caplog.text


async def test_key_without_authtoken_app_gives_no_user(alice_key, settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "rest_framework.authtoken"]
    assert await user_for_token(alice_key) is None


# TokenAuthMiddleware.


class ScopeRecorder:
    """ASGI app that stores the scope it was called with."""

    scope = None

    async def __call__(self, scope, receive, send):
        self.scope = scope


async def run_middleware(scope):
    inner = ScopeRecorder()
    await TokenAuthMiddleware(inner)(scope, None, None)
    return inner.scope


async def test_middleware_sets_user_from_header(alice, alice_key):
    scope = headers_scope((b"authorization", f"Token {alice_key}".encode()))
    seen = await run_middleware(scope)
    assert seen["user"].pk == alice.pk


async def test_middleware_replaces_session_user_on_unknown_key(alice):
    scope = dict(headers_scope((b"authorization", b"Token " + b"0" * 40)), user=alice)
    seen = await run_middleware(scope)
    assert isinstance(seen["user"], AnonymousUser)


async def test_middleware_keeps_session_user_without_header(alice):
    scope = dict(headers_scope(), user=alice)
    seen = await run_middleware(scope)
    assert seen["user"] is alice


async def test_middleware_leaves_inactive_user_anonymous(inactive_key):
    seen = await run_middleware(headers_scope((b"authorization", f"Token {inactive_key}".encode())))
    assert isinstance(seen["user"], AnonymousUser)


async def test_middleware_ignores_http_scopes(alice_key):
    scope = {"type": "http", "headers": [(b"authorization", f"Token {alice_key}".encode())]}
    seen = await run_middleware(scope)
    assert "user" not in seen


# Over the WebSocket: header and auth frame.


@pytest.fixture
async def open_socket():
    """Return a function that opens a socket through the full WebSocket application."""
    opened = []

    async def open_with(headers=()):
        communicator = WebsocketCommunicator(websocket_application(), "/ws/shoutout/", headers=list(headers))
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        opened.append(communicator)
        return communicator

    yield open_with
    for communicator in opened:
        await communicator.disconnect(timeout=TIMEOUT)


async def exchange(communicator, frame):
    await communicator.send_to(text_data=json.dumps(frame))
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def subscribe_reply(communicator, object_id):
    """Subscribe and return the first reply: ``subscribed`` or an error frame."""
    return await exchange(communicator, {"type": "subscribe", "id": object_id})


@pytest.fixture
async def private_id(alice):
    return (await api.acreate(owner=alice, security="private")).id


def session_cookie(user):
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


async def test_header_authenticates_socket(open_socket, alice_key, private_id):
    socket = await open_socket([(b"authorization", f"Token {alice_key}".encode())])
    reply = await subscribe_reply(socket, private_id)
    assert reply["type"] == "subscribed"


async def test_unknown_header_key_leaves_socket_anonymous(open_socket, private_id):
    socket = await open_socket([(b"authorization", b"Token " + b"0" * 40)])
    reply = await subscribe_reply(socket, private_id)
    assert reply["code"] == "not_found"


async def test_unknown_header_key_overrides_session(open_socket, alice, private_id):
    cookie = await database_sync_to_async(session_cookie)(alice)
    socket = await open_socket([cookie, (b"authorization", b"Token " + b"0" * 40)])
    reply = await subscribe_reply(socket, private_id)
    assert reply["code"] == "not_found"


async def test_auth_frame_returns_username(open_socket, alice_key):
    socket = await open_socket()
    reply = await exchange(socket, {"type": "auth", "token": alice_key, "ref": "a"})
    assert reply == {"type": "authenticated", "user": "alice", "ref": "a"}


async def test_auth_frame_authenticates_socket(open_socket, alice_key, private_id):
    socket = await open_socket()
    await exchange(socket, {"type": "auth", "token": alice_key})
    reply = await subscribe_reply(socket, private_id)
    assert reply["type"] == "subscribed"


async def test_auth_frame_with_unknown_key_is_rejected(open_socket):
    socket = await open_socket()
    reply = await exchange(socket, {"type": "auth", "token": "0" * 40, "ref": "a"})
    assert reply["code"] == "not_authenticated"
    assert reply["ref"] == "a"


async def test_auth_frame_with_inactive_user_is_rejected(open_socket, inactive_key):
    socket = await open_socket()
    reply = await exchange(socket, {"type": "auth", "token": inactive_key})
    assert reply["code"] == "not_authenticated"


async def test_rejected_auth_frame_leaves_socket_anonymous(open_socket, private_id):
    socket = await open_socket()
    await exchange(socket, {"type": "auth", "token": "0" * 40})
    reply = await subscribe_reply(socket, private_id)
    assert reply["code"] == "not_found"


async def test_rejected_auth_frame_keeps_earlier_user(open_socket, alice_key, private_id):
    socket = await open_socket()
    await exchange(socket, {"type": "auth", "token": alice_key})
    await exchange(socket, {"type": "auth", "token": "0" * 40})
    reply = await subscribe_reply(socket, private_id)
    assert reply["type"] == "subscribed"


@pytest.mark.parametrize("token", [42, {"key": "abc"}, ["abc"]])
async def test_auth_frame_with_non_string_token_is_invalid(open_socket, token):
    socket = await open_socket()
    reply = await exchange(socket, {"type": "auth", "token": token})
    assert reply["code"] == "invalid_frame"


async def test_auth_frame_with_null_token_is_rejected(open_socket):
    socket = await open_socket()
    reply = await exchange(socket, {"type": "auth", "token": None})
    assert reply["code"] == "not_authenticated"


async def test_auth_frame_without_token_is_invalid(open_socket):
    socket = await open_socket()
    reply = await exchange(socket, {"type": "auth"})
    assert reply["code"] == "invalid_frame"
