"""The access policy as one table, checked on REST, the WebSocket and the Python API.

``EXPECTED`` contains one outcome per (security, principal, action). Each path
derives its expectation from it: a REST status and body code, a WebSocket
frame, or a Python API result. Token principals are anonymous clients that
carry a capability token; a token is checked only when the client's own
rights do not suffice.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core import signing
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import shoutout.routing
from shoutout import api, grants, operations, tokens
from shoutout.errors import HTTP_STATUS, ShoutOutError
from shoutout.ids import group_name
from shoutout.models import StateObject

SECURITIES = ("public", "authenticated", "private")
ACTIONS = ("read", "write", "settings")

OK, NOT_FOUND, FORBIDDEN = "ok", "not_found", "forbidden"
EXPIRED, REVOKED, INVALID = "token_expired", "token_revoked", "token_invalid"
WRONG_SCOPE, WRONG_OBJECT = "token_wrong_scope", "token_wrong_object"

# An object the principal may not read is not_found, and a readable one it may not
# change is forbidden. A token is checked only when the principal's own rights do not
# suffice, and a refused token gives its own code. Tokens never grant settings, but a
# valid token makes the object readable, so a settings change with it is forbidden.
# principal: (read, write, settings), each as (public, authenticated, private).
ALL_OK = (OK, OK, OK)
ROWS = {
    "owner":               (ALL_OK, ALL_OK, ALL_OK),
    "reader":              (ALL_OK, (FORBIDDEN,) * 3, (FORBIDDEN,) * 3),
    "writer":              (ALL_OK, ALL_OK, ALL_OK),
    "reader_member":       (ALL_OK, (FORBIDDEN,) * 3, (FORBIDDEN,) * 3),
    "writer_member":       (ALL_OK, ALL_OK, ALL_OK),
    "other_user":          ((OK, OK, NOT_FOUND),
                            (FORBIDDEN, FORBIDDEN, NOT_FOUND),
                            (FORBIDDEN, FORBIDDEN, NOT_FOUND)),
    "anonymous":           ((OK, NOT_FOUND, NOT_FOUND),
                            (FORBIDDEN, NOT_FOUND, NOT_FOUND),
                            (FORBIDDEN, NOT_FOUND, NOT_FOUND)),
    "staff":               (ALL_OK, (FORBIDDEN,) * 3, (FORBIDDEN,) * 3),
    "read_token":          (ALL_OK, (WRONG_SCOPE,) * 3, (FORBIDDEN,) * 3),
    "write_token":         (ALL_OK, ALL_OK, (FORBIDDEN,) * 3),
    "expired_token":       ((OK, EXPIRED, EXPIRED), (EXPIRED,) * 3, (FORBIDDEN, NOT_FOUND, NOT_FOUND)),
    "revoked_token":       ((OK, REVOKED, REVOKED), (REVOKED,) * 3, (FORBIDDEN, NOT_FOUND, NOT_FOUND)),
    "tampered_token":      ((OK, INVALID, INVALID), (INVALID,) * 3, (FORBIDDEN, NOT_FOUND, NOT_FOUND)),
    "other_objects_token": ((OK, WRONG_OBJECT, WRONG_OBJECT),
                            (WRONG_OBJECT,) * 3,
                            (FORBIDDEN, NOT_FOUND, NOT_FOUND)),
}

EXPECTED = {
    (security, principal, action): row[ACTIONS.index(action)][SECURITIES.index(security)]
    for principal, row in ROWS.items()
    for action in ACTIONS
    for security in SECURITIES
}

USER_PRINCIPALS = ("owner", "reader", "writer", "reader_member", "writer_member", "other_user", "staff")
TOKEN_PRINCIPALS = tuple(name for name in ROWS if name.endswith("_token"))

INITIAL_DATA, INITIAL_UPDATE_ID, INITIAL_TTL = {"step": 1}, 1, 3600
NEW_DATA, NEW_TTL = {"step": 2}, 120
TIMEOUT = 5  # seconds to wait for one frame or event


def cases(*, skip=lambda principal, action: False):
    return [
        pytest.param(security, principal, action, id=f"{security}-{principal}-{action}")
        for security in SECURITIES
        for principal in ROWS
        for action in ACTIONS
        if not skip(principal, action)
    ]


# The world every case runs in: seven users, two groups, one object and its tokens.


@dataclass
class World:
    obj: StateObject
    users: dict
    drf_keys: dict
    capability_tokens: dict = field(default_factory=dict)

    def user(self, principal):
        return self.users.get(principal, AnonymousUser())

    def token(self, principal):
        return self.capability_tokens.get(principal)


def forge_scope(token, scope):
    """Return ``token`` with its payload claiming ``scope`` and its old signature."""
    payload = signing.loads(token, salt=tokens.SALT)
    payload["s"] = scope
    forged = signing.b64_encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return ":".join([forged, *token.split(":")[1:]])


def build_world(security) -> World:
    """Create the users, their groups, the object under test (at update id 1) and the tokens.

    The expired, revoked, tampered and other object's tokens all claim write
    scope, so their one defect is the only reason to refuse them.
    """
    users = {
        name: get_user_model().objects.create_user(name, password="pw", is_staff=name == "staff")
        for name in USER_PRINCIPALS
    }
    Group.objects.create(name="watchers").user_set.add(users["reader_member"])
    Group.objects.create(name="editors").user_set.add(users["writer_member"])
    drf_keys = {name: Token.objects.create(user=user).key for name, user in users.items()}

    obj = api.create(owner=users["owner"], security=security, ttl=INITIAL_TTL, data={"step": 0})
    api.set_grants(
        obj.pk, readers=["reader"], writers=["writer"], reader_groups=["watchers"], writer_groups=["editors"]
    )
    api.update(obj.pk, INITIAL_DATA)
    revoked = api.mint_token(obj.pk, "write")
    api.revoke_tokens(obj.pk)
    obj.refresh_from_db()
    other_object = api.create(owner=users["owner"], security=security)

    read_token = api.mint_token(obj.pk, "read")
    return World(obj, users, drf_keys, {
        "read_token": read_token,
        "write_token": api.mint_token(obj.pk, "write"),
        "expired_token": tokens.mint(obj.pk, "write", obj.token_generation, expires_at=time.time() - 60),
        "revoked_token": revoked,
        "tampered_token": forge_scope(read_token, "write"),
        "other_objects_token": api.mint_token(other_object.pk, "write"),
    })


# Checks shared by the paths: a refused write changes nothing and sends nothing.


def current_state(obj):
    _, snapshot = operations.get(obj.pk)
    return snapshot.data, snapshot.update_id


def assert_unchanged(obj):
    data, update_id = current_state(obj)
    assert data == INITIAL_DATA
    assert update_id == INITIAL_UPDATE_ID


async def listen(obj):
    """Add a fresh channel to the object's fan-out group and return its name."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group_name(obj.pk), channel)
    return channel


async def assert_nothing_sent(obj, channel):
    """Send a trusted probe write and check that it is the first event queued on ``channel``."""
    probe = await api.aupdate(obj.pk, {"probe": True})
    event = await asyncio.wait_for(get_channel_layer().receive(channel), TIMEOUT)
    assert event["update_id"] == probe.update_id


# REST: read = GET the object, write = POST state/, settings = PATCH ttl.


def rest_client(world, principal):
    client = APIClient()
    headers = {}
    if principal in world.drf_keys:
        headers["HTTP_AUTHORIZATION"] = f"Token {world.drf_keys[principal]}"
    if world.token(principal) is not None:
        headers["HTTP_X_SHOUTOUT_TOKEN"] = world.token(principal)
    client.credentials(**headers)
    return client


def rest_request(client, obj, action):
    if action == "read":
        return client.get(reverse("shoutout-object-detail", args=[obj.pk]))
    if action == "write":
        return client.post(reverse("shoutout-object-state", args=[obj.pk]), {"data": NEW_DATA}, format="json")
    return client.patch(reverse("shoutout-object-detail", args=[obj.pk]), {"ttl": NEW_TTL}, format="json")


OK_BODY = {
    "read": ("data", INITIAL_DATA),
    "write": ("update_id", INITIAL_UPDATE_ID + 1),
    "settings": ("ttl", NEW_TTL),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("security", "principal", "action"), cases())
def test_rest(security, principal, action):
    world = build_world(security)
    expected = EXPECTED[security, principal, action]
    channel = async_to_sync(listen)(world.obj)

    response = rest_request(rest_client(world, principal), world.obj, action)

    if expected == OK:
        key, value = OK_BODY[action]
        assert response.status_code == 200
        assert response.json()[key] == value
        return
    assert response.status_code == HTTP_STATUS[expected]
    assert response.json()["code"] == expected
    if action == "write":
        assert_unchanged(world.obj)
        async_to_sync(assert_nothing_sent)(world.obj, channel)
    if action == "settings":
        assert StateObject.objects.get(pk=world.obj.pk).ttl == INITIAL_TTL


# WebSocket: read = subscribe, write = update frame. Settings are not a WebSocket action.


async def open_socket(world, principal):
    """Connect through the project's WebSocket stack, authenticated by the user's DRF token."""
    key = world.drf_keys.get(principal)
    headers = [] if key is None else [(b"authorization", f"Token {key}".encode())]
    application = shoutout.routing.websocket_application()
    communicator = WebsocketCommunicator(application, "/ws/shoutout/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


def ws_frame(world, principal, action):
    if action == "read":
        frame = {"type": "subscribe", "id": world.obj.pk, "ref": "case"}
    else:
        frame = {"type": "update", "id": world.obj.pk, "data": NEW_DATA, "ref": "case"}
    if world.token(principal) is not None:
        frame["token"] = world.token(principal)
    return frame


async def check_ws_reply(socket, world, action, expected):
    reply = await socket.receive_json_from(timeout=TIMEOUT)
    if expected != OK:
        assert reply["type"] == "error"
        assert reply["code"] == expected
        assert reply["id"] == world.obj.pk
    elif action == "read":
        assert reply == {"type": "subscribed", "id": world.obj.pk, "ref": "case"}
        snapshot = await socket.receive_json_from(timeout=TIMEOUT)
        assert snapshot["data"] == INITIAL_DATA
    else:
        assert reply["type"] == "ack"
        assert reply["accepted_update_id"] == INITIAL_UPDATE_ID + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("security", "principal", "action"), cases(skip=lambda _, action: action == "settings"))
async def test_websocket(security, principal, action):
    world = await database_sync_to_async(build_world)(security)
    expected = EXPECTED[security, principal, action]
    channel = await listen(world.obj)
    socket = await open_socket(world, principal)

    try:
        await socket.send_json_to(ws_frame(world, principal, action))
        await check_ws_reply(socket, world, action, expected)
    finally:
        await socket.disconnect(timeout=TIMEOUT)

    if action == "write" and expected != OK:
        await database_sync_to_async(assert_unchanged)(world.obj)
        await assert_nothing_sent(world.obj, channel)


# Python API: read = api.get, write = api.update, settings = api.set_grants.


def check_api_read(world, principal, expected):
    user, token = world.user(principal), world.token(principal)
    result = api.get(world.obj.pk, user=user, token=token)
    if expected == OK:
        assert result == (INITIAL_DATA, INITIAL_UPDATE_ID)
        return
    # api.get returns None for every refusal, so the code comes from operations.get, which it wraps.
    assert result is None
    with pytest.raises(ShoutOutError) as refused:
        operations.get(world.obj.pk, actor=user, token=token)
    assert refused.value.code == expected


def check_api_write(world, principal, expected):
    channel = async_to_sync(listen)(world.obj)
    result = api.update(world.obj.pk, NEW_DATA, user=world.user(principal), token=world.token(principal))
    if expected == OK:
        assert result.status == "accepted"
        assert result.update_id == INITIAL_UPDATE_ID + 1
        return
    assert result.status == expected
    assert_unchanged(world.obj)
    async_to_sync(assert_nothing_sent)(world.obj, channel)


def check_api_settings(world, principal, expected):
    readers = ["other_user", "reader"]
    if expected == OK:
        api.set_grants(world.obj.pk, user=world.user(principal), readers=readers)
        assert grants.describe_grants(world.obj)["readers"] == readers
        return
    with pytest.raises(ShoutOutError) as refused:
        api.set_grants(world.obj.pk, user=world.user(principal), readers=readers)
    assert refused.value.code == expected
    assert grants.describe_grants(world.obj)["readers"] == ["reader"]


API_CHECKS = {"read": check_api_read, "write": check_api_write, "settings": check_api_settings}


def no_token_argument(principal, action):
    """The Python API's settings functions take no capability token."""
    return action == "settings" and principal in TOKEN_PRINCIPALS


@pytest.mark.django_db
@pytest.mark.parametrize(("security", "principal", "action"), cases(skip=no_token_argument))
def test_python_api(security, principal, action):
    world = build_world(security)

    API_CHECKS[action](world, principal, EXPECTED[security, principal, action])
