"""shoutout.access.authorize and DefaultPolicy edge cases, and a custom policy on every path."""

import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, Group
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import shoutout.routing
from shoutout import api, operations, tokens
from shoutout.access import CONFIGURE, READ, WRITE, Grant, authorize
from shoutout.errors import Forbidden, NotFound
from shoutout.policy import BasePolicy, DefaultPolicy

MISSING_ID = "A" * 22
TIMEOUT = 5  # seconds to wait for one frame


def shoutout_settings(**values):
    """Override SHOUTOUT, keeping the test settings' key."""
    return override_settings(SHOUTOUT={"EXPIRY_SWEEP_INTERVAL": 0, **values})


class OpsPolicy(DefaultPolicy):
    """A policy under which users whose username starts with ``ops-`` read every object."""

    def can_read(self, user, obj):
        return user.get_username().startswith("ops-") or super().can_read(user, obj)


class OwnerConfiguresPolicy(DefaultPolicy):
    """A policy under which writers write, but only the owner changes settings."""

    def can_configure(self, user, obj):
        return obj.owner_id == user.pk


class WritersOnlyPolicy(BasePolicy):
    """A policy with only the required hooks, under which everyone writes."""

    def can_create(self, user):
        return True

    def can_read(self, user, obj):
        return True

    def can_write(self, user, obj):
        return True


@pytest.fixture
def make_user(django_user_model):
    def make(username, **fields):
        return django_user_model.objects.create_user(username, password="pw", **fields)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def staff(make_user):
    return make_user("staff", is_staff=True)


def private_object(owner, **grants):
    obj = api.create(owner=owner, security="private")
    if grants:
        api.set_grants(obj.pk, **grants)
    return obj


def code_of(user, obj, action, token=None):
    """Return the code ``authorize`` raises, or ``ok`` when it grants."""
    try:
        authorize(user, obj, action, token)
    except (Forbidden, NotFound, tokens.TokenError) as exc:
        return exc.code
    return "ok"


# authorize(): grants, tokens and errors.


@pytest.mark.django_db
def test_user_grant_has_no_capability(alice):
    obj = private_object(alice)

    assert authorize(alice, obj, READ) == Grant(obj)


@pytest.mark.django_db
def test_token_grant_carries_capability(alice):
    obj = private_object(alice)
    token = api.mint_token(obj.pk, "read")

    grant = authorize(AnonymousUser(), obj, READ, token)

    assert grant.capability.scope == "read"


@pytest.mark.django_db
def test_user_rights_come_before_token(alice, caplog):
    obj = private_object(alice)
    caplog.set_level(logging.WARNING, logger="shoutout.tokens")

    grant = authorize(alice, obj, WRITE, "not-a-token")

    assert grant.capability is None
    assert caplog.records == []


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["read", "write"])
def test_token_never_grants_configure(alice, scope):
    obj = private_object(alice)
    token = api.mint_token(obj.pk, scope)

    assert code_of(AnonymousUser(), obj, CONFIGURE, token) == "forbidden"


@pytest.mark.django_db
def test_configure_with_revoked_token_is_not_found(alice):
    obj = private_object(alice)
    token = api.mint_token(obj.pk, "write")
    api.revoke_tokens(obj.pk)
    obj.refresh_from_db()

    assert code_of(AnonymousUser(), obj, CONFIGURE, token) == "not_found"


@pytest.mark.django_db
def test_none_user_reads_public_object(alice):
    obj = api.create(owner=alice, security="public")

    assert code_of(None, obj, READ) == "ok"


@pytest.mark.django_db
def test_none_user_does_not_read_private_object(alice):
    obj = private_object(alice)

    assert code_of(None, obj, READ) == "not_found"


@pytest.mark.django_db
def test_unreadable_object_looks_missing(alice, bob):
    obj = private_object(alice)

    with pytest.raises(NotFound) as unreadable:
        operations.load(obj.pk, bob, READ)
    with pytest.raises(NotFound) as missing:
        operations.load(MISSING_ID, bob, READ)

    assert unreadable.value.message.replace(obj.pk, MISSING_ID) == missing.value.message


# Inactive users count as anonymous.


@pytest.mark.django_db
def test_inactive_owner_loses_private_object(make_user):
    owner = make_user("owner")
    obj = private_object(owner)
    owner.is_active = False
    owner.save()

    assert code_of(owner, obj, READ) == "not_found"


@pytest.mark.django_db
def test_inactive_owner_may_not_write_public_object(make_user):
    owner = make_user("owner")
    obj = api.create(owner=owner, security="public")
    owner.is_active = False
    owner.save()

    assert code_of(owner, obj, WRITE) == "forbidden"


@pytest.mark.django_db
def test_inactive_user_does_not_read_authenticated_object(alice, make_user):
    obj = api.create(owner=alice, security="authenticated")

    assert code_of(make_user("gone", is_active=False), obj, READ) == "not_found"


@pytest.mark.django_db
def test_inactive_reader_does_not_read(alice, make_user):
    make_user("gone", is_active=False)
    obj = private_object(alice, readers=["gone"])
    reader = obj.readers.get()

    assert code_of(reader, obj, READ) == "not_found"


@pytest.mark.django_db
def test_inactive_staff_does_not_read(alice, make_user):
    obj = private_object(alice)

    assert code_of(make_user("gone", is_staff=True, is_active=False), obj, READ) == "not_found"


@pytest.mark.django_db
def test_inactive_user_may_not_create(make_user):
    assert DefaultPolicy().can_create(make_user("gone", is_active=False)) is False


# Staff settings.


@pytest.mark.django_db
def test_staff_reads_private_by_default(alice, staff):
    assert code_of(staff, private_object(alice), READ) == "ok"


@pytest.mark.django_db
def test_staff_may_not_write_by_default(alice, staff):
    assert code_of(staff, private_object(alice), WRITE) == "forbidden"


@pytest.mark.django_db
def test_staff_read_can_be_turned_off(alice, staff):
    obj = private_object(alice)

    with shoutout_settings(STAFF_MAY_READ=False):
        assert code_of(staff, obj, READ) == "not_found"


@pytest.mark.django_db
def test_staff_without_read_still_reads_authenticated(alice, staff):
    obj = api.create(owner=alice, security="authenticated")

    with shoutout_settings(STAFF_MAY_READ=False):
        assert code_of(staff, obj, READ) == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize("action", [WRITE, CONFIGURE])
def test_staff_write_can_be_turned_on(alice, staff, action):
    obj = private_object(alice)

    with shoutout_settings(STAFF_MAY_WRITE=True):
        assert code_of(staff, obj, action) == "ok"


@pytest.mark.django_db
def test_staff_who_may_write_also_read(alice, staff):
    obj = private_object(alice)

    with shoutout_settings(STAFF_MAY_READ=False, STAFF_MAY_WRITE=True):
        assert code_of(staff, obj, READ) == "ok"


@pytest.mark.django_db
def test_staff_settings_leave_other_users_alone(alice, bob):
    obj = private_object(alice)

    with shoutout_settings(STAFF_MAY_WRITE=True):
        assert code_of(bob, obj, WRITE) == "not_found"


# Groups.


@pytest.fixture
def member(make_user):
    user = make_user("member")
    Group.objects.create(name="watchers")
    Group.objects.create(name="editors")
    Group.objects.create(name="bystanders").user_set.add(user)
    return user


def join(user, group_name):
    Group.objects.get(name=group_name).user_set.add(user)


@pytest.mark.django_db
def test_reader_group_member_reads(alice, member):
    obj = private_object(alice, reader_groups=["watchers"])
    join(member, "watchers")

    assert code_of(member, obj, READ) == "ok"


@pytest.mark.django_db
def test_reader_group_member_may_not_write(alice, member):
    obj = private_object(alice, reader_groups=["watchers"])
    join(member, "watchers")

    assert code_of(member, obj, WRITE) == "forbidden"


@pytest.mark.django_db
@pytest.mark.parametrize("action", [READ, WRITE, CONFIGURE])
def test_writer_group_member_has_every_action(alice, member, action):
    obj = private_object(alice, writer_groups=["editors"])
    join(member, "editors")

    assert code_of(member, obj, action) == "ok"


@pytest.mark.django_db
def test_leaving_group_ends_access(alice, member):
    obj = private_object(alice, writer_groups=["editors"])
    join(member, "editors")
    Group.objects.get(name="editors").user_set.remove(member)

    assert code_of(member, obj, READ) == "not_found"


@pytest.mark.django_db
def test_ungranted_group_gives_nothing(alice, member):
    obj = private_object(alice, reader_groups=["watchers"])

    assert code_of(member, obj, READ) == "not_found"


@pytest.mark.django_db
def test_group_grant_does_not_cover_other_objects(alice, member):
    private_object(alice, writer_groups=["editors"])
    join(member, "editors")

    assert code_of(member, private_object(alice), READ) == "not_found"


# Policy classes.


@pytest.mark.django_db
def test_anonymous_create_follows_setting():
    with shoutout_settings(ALLOW_ANONYMOUS_CREATE=True):
        assert DefaultPolicy().can_create(AnonymousUser()) is True


@pytest.mark.django_db
def test_anonymous_create_is_off_by_default():
    assert DefaultPolicy().can_create(AnonymousUser()) is False


@pytest.mark.parametrize("hook", ["can_create", "can_read", "can_write"])
def test_base_policy_hook_names_itself(hook):
    arguments = (None,) if hook == "can_create" else (None, None)

    with pytest.raises(NotImplementedError, match=f"{hook}\\(\\)"):
        getattr(BasePolicy(), hook)(*arguments)


@pytest.mark.django_db
def test_configure_defaults_to_write(alice, bob):
    obj = private_object(alice)

    with shoutout_settings(POLICY=f"{__name__}.WritersOnlyPolicy"):
        assert code_of(bob, obj, CONFIGURE) == "ok"


@pytest.mark.django_db
def test_custom_configure_rule_applies_to_rest(alice, bob):
    bob_client = APIClient()
    bob_client.force_authenticate(bob)

    with shoutout_settings(POLICY=f"{__name__}.OwnerConfiguresPolicy"):
        obj = private_object(alice, writers=["bob"])
        write = bob_client.post(reverse("shoutout-object-state", args=[obj.pk]), {"data": 1}, format="json")
        patch = bob_client.patch(reverse("shoutout-object-detail", args=[obj.pk]), {"ttl": 60}, format="json")

    assert write.status_code == 200
    assert patch.status_code == 403


# A custom policy named in SHOUTOUT['POLICY'] decides on every path.

OPS_POLICY = f"{__name__}.OpsPolicy"


@pytest.fixture
def ops(make_user):
    return make_user("ops-oncall")


def rest_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.django_db
def test_custom_policy_rest_read(alice, ops):
    with shoutout_settings(POLICY=OPS_POLICY):
        obj = private_object(alice)
        response = rest_client(ops).get(reverse("shoutout-object-detail", args=[obj.pk]))

    assert response.status_code == 200


@pytest.mark.django_db
def test_custom_policy_rest_write_is_forbidden(alice, ops):
    with shoutout_settings(POLICY=OPS_POLICY):
        obj = private_object(alice)
        url = reverse("shoutout-object-state", args=[obj.pk])
        response = rest_client(ops).post(url, {"data": 1}, format="json")

    assert response.json()["code"] == "forbidden"


@pytest.mark.django_db
def test_default_policy_hides_object_from_ops(alice, ops):
    obj = private_object(alice)

    response = rest_client(ops).get(reverse("shoutout-object-detail", args=[obj.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_custom_policy_python_api_read(alice, ops):
    with shoutout_settings(POLICY=OPS_POLICY):
        obj = api.create(owner=alice, security="private", data={"pct": 5})
        result = api.get(obj.pk, user=ops)

    assert result == ({"pct": 5}, 0)


@pytest.mark.django_db
def test_custom_policy_python_api_write_is_forbidden(alice, ops):
    with shoutout_settings(POLICY=OPS_POLICY):
        obj = private_object(alice)
        result = api.update(obj.pk, {"pct": 6}, user=ops)

    assert result.status == "forbidden"


async def first_ws_frame(user, frame):
    """Send ``frame`` as ``user`` (DRF token in the handshake) and return the first frame received."""
    key = (await database_sync_to_async(Token.objects.create)(user=user)).key
    socket = WebsocketCommunicator(
        shoutout.routing.websocket_application(), "/ws/shoutout/",
        headers=[(b"authorization", f"Token {key}".encode())],
    )
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    try:
        await socket.send_json_to(frame)
        return await socket.receive_json_from(timeout=TIMEOUT)
    finally:
        await socket.disconnect(timeout=TIMEOUT)


@pytest.mark.django_db(transaction=True)
async def test_custom_policy_websocket_subscribe(alice, ops):
    with shoutout_settings(POLICY=OPS_POLICY):
        obj = await database_sync_to_async(private_object)(alice)
        reply = await first_ws_frame(ops, {"type": "subscribe", "id": obj.pk})

    assert reply["type"] == "subscribed"


@pytest.mark.django_db(transaction=True)
async def test_custom_policy_websocket_update_is_forbidden(alice, ops):
    with shoutout_settings(POLICY=OPS_POLICY):
        obj = await database_sync_to_async(private_object)(alice)
        reply = await first_ws_frame(ops, {"type": "update", "id": obj.pk, "data": 1})

    assert reply["code"] == "forbidden"
