"""The Python sender API: results instead of exceptions for runtime trouble."""

import logging
import math

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from shoutout import api
from shoutout.errors import InvalidPayload
from shoutout.ids import MAX_UPDATE_ID, is_valid_object_id
from shoutout.store.memory import MemoryStore

pytestmark = pytest.mark.django_db

MISSING_ID = "A" * 22


class OutageStore(MemoryStore):
    """A store whose backend is unreachable: every call after setup fails."""

    def _unreachable(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = get_many = write = set_ttl = delete = pop_expired = _unreachable


OUTAGE = {"EXPIRY_SWEEP_INTERVAL": 0, "STORE": f"{__name__}.OutageStore"}


def nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def object_id():
    return api.create(data={"progress": 0}).id


# Create and read.


def test_create_returns_row_with_id():
    row = api.create()
    assert is_valid_object_id(row.id)


def test_create_applies_settings():
    row = api.create(ttl=60, security="public")
    assert row.ttl == 60
    assert row.security == "public"


def test_create_owner_defaults_to_user(alice):
    assert api.create(user=alice).owner == alice


def test_create_rejects_invalid_ttl():
    with pytest.raises(InvalidPayload):
        api.create(ttl=0)


def test_get_returns_data_and_update_id(object_id):
    assert api.get(object_id) == ({"progress": 0}, 0)


def test_get_of_missing_object_is_none():
    assert api.get(MISSING_ID) is None


def test_get_of_private_object_by_other_user_is_none(alice, bob):
    object_id = api.create(user=alice).id
    assert api.get(object_id, user=bob) is None


# Write results.


def test_update_is_accepted(object_id):
    result = api.update(object_id, {"progress": 50})
    assert result.status == "accepted"
    assert result.update_id == 1
    assert result
    assert api.get(object_id) == ({"progress": 50}, 1)


def test_update_with_client_id(object_id):
    assert api.update(object_id, 1, update_id=9).update_id == 9


def test_stale_update_reports_current_id(object_id):
    api.update(object_id, "new", update_id=5)
    result = api.update(object_id, "old", update_id=3)
    assert result.status == "stale"
    assert result.stale
    assert result.current_update_id == 5
    assert not result
    assert api.get(object_id) == ("new", 5)


def test_publish_keeps_state(object_id):
    result = api.publish(object_id, {"note": "half way"})
    assert result.update_id == 1
    assert api.get(object_id) == ({"progress": 0}, 1)


def test_stale_publish_reports_current_id(object_id):
    api.update(object_id, 1, update_id=4)
    result = api.publish(object_id, "late", update_id=4)
    assert result.status == "stale"
    assert result.current_update_id == 4


@pytest.mark.parametrize("target", [MISSING_ID, "not an id", ""])
def test_update_of_missing_object_is_not_found(target):
    assert api.update(target, 1).status == "not_found"


def test_update_of_expired_object_is_not_found(object_id):
    from shoutout.store import get_store

    get_store().delete(object_id)
    assert api.update(object_id, 1).status == "not_found"


def test_trusted_not_found_names_memory_store():
    assert "in-memory state store" in api.update(MISSING_ID, 1).message


def test_user_not_found_omits_store_hint(alice, bob):
    object_id = api.create(user=alice).id
    assert "in-memory" not in api.update(object_id, 1, user=bob).message


def test_update_by_reader_is_forbidden(alice, bob):
    object_id = api.create(user=alice, security="public").id
    result = api.update(object_id, 1, user=bob)
    assert result.status == "forbidden"
    assert result.message


def test_update_by_anonymous_reader_is_forbidden(alice):
    object_id = api.create(user=alice, security="public").id
    assert api.update(object_id, 1, user=AnonymousUser()).status == "forbidden"


def test_update_of_unreadable_object_is_not_found(alice, bob):
    object_id = api.create(user=alice).id
    assert api.update(object_id, 1, user=bob).status == "not_found"


def test_update_by_owner_is_accepted(alice):
    object_id = api.create(user=alice).id
    assert api.update(object_id, 1, user=alice).accepted


def test_update_past_maximum_id_is_exhausted(object_id):
    api.update(object_id, 1, update_id=MAX_UPDATE_ID)
    result = api.update(object_id, 2)
    assert result.status == "update_id_exhausted"
    assert result.current_update_id == MAX_UPDATE_ID


def test_delete_is_accepted(object_id):
    assert api.delete(object_id).accepted
    assert api.get(object_id) is None


def test_delete_of_missing_object_is_not_found(object_id):
    api.delete(object_id)
    assert api.delete(object_id).status == "not_found"


def test_delete_by_reader_is_forbidden(alice, bob):
    object_id = api.create(user=alice, security="public").id
    assert api.delete(object_id, user=bob).status == "forbidden"


# Invalid arguments raise.


@pytest.mark.parametrize(
    "value",
    [math.nan, {"p": math.inf}, nested(33), "x" * 70000, {1, 2}],
)
def test_invalid_payload_raises(object_id, value):
    with pytest.raises(InvalidPayload):
        api.update(object_id, value)


def test_invalid_message_payload_raises(object_id):
    with pytest.raises(InvalidPayload):
        api.publish(object_id, math.nan)


@pytest.mark.parametrize("update_id", [0, -1, MAX_UPDATE_ID + 1, 1.5, "2"])
def test_invalid_update_id_raises(object_id, update_id):
    with pytest.raises(InvalidPayload):
        api.update(object_id, 1, update_id=update_id)


def test_invalid_payload_leaves_state(object_id):
    with pytest.raises(InvalidPayload):
        api.update(object_id, math.nan)
    assert api.get(object_id) == ({"progress": 0}, 0)


# An unreachable store.


def test_update_during_outage_is_unavailable(object_id):
    with override_settings(SHOUTOUT=OUTAGE):
        result = api.update(object_id, {"progress": 99})
    assert result.status == "unavailable"
    assert not result
    assert "ConnectionError" in result.message


def test_publish_during_outage_is_unavailable(object_id):
    with override_settings(SHOUTOUT=OUTAGE):
        assert api.publish(object_id, "hello").status == "unavailable"


def test_delete_during_outage_is_unavailable(object_id):
    with override_settings(SHOUTOUT=OUTAGE):
        assert api.delete(object_id).status == "unavailable"


def test_get_during_outage_returns_none(object_id):
    with override_settings(SHOUTOUT=OUTAGE):
        assert api.get(object_id) is None


def test_outage_is_logged_without_payload(object_id, caplog):
    with override_settings(SHOUTOUT=OUTAGE), caplog.at_level(logging.WARNING, logger="shoutout.api"):
        api.update(object_id, {"secret": "s3cr3t-value"})
    assert object_id in caplog.text
    assert "s3cr3t-value" not in caplog.text


def test_invalid_payload_during_outage_still_raises(object_id):
    with override_settings(SHOUTOUT=OUTAGE):
        with pytest.raises(InvalidPayload):
            api.update(object_id, math.nan)


# Async twins.


@pytest.mark.django_db(transaction=True)
async def test_async_create_and_get():
    row = await api.acreate(data="start")
    assert await api.aget(row.id) == ("start", 0)


@pytest.mark.django_db(transaction=True)
async def test_async_update_and_publish():
    row = await api.acreate()
    updated = await api.aupdate(row.id, "next")
    published = await api.apublish(row.id, "note")
    assert updated.update_id == 1
    assert published.update_id == 2
    assert await api.aget(row.id) == ("next", 2)


@pytest.mark.django_db(transaction=True)
async def test_async_stale_update():
    row = await api.acreate()
    await api.aupdate(row.id, 1, update_id=3)
    result = await api.aupdate(row.id, 2, update_id=2)
    assert result.status == "stale"
    assert result.current_update_id == 3


@pytest.mark.django_db(transaction=True)
async def test_async_delete():
    row = await api.acreate()
    assert (await api.adelete(row.id)).accepted
    assert (await api.adelete(row.id)).status == "not_found"


@pytest.mark.django_db(transaction=True)
async def test_async_invalid_payload_raises():
    row = await api.acreate()
    with pytest.raises(InvalidPayload):
        await api.aupdate(row.id, math.nan)


@pytest.mark.django_db(transaction=True)
async def test_async_update_during_outage_is_unavailable():
    row = await api.acreate()
    with override_settings(SHOUTOUT=OUTAGE):
        result = await api.aupdate(row.id, 1)
    assert result.status == "unavailable"


def test_api_is_reexported_from_package():
    import shoutout

    assert shoutout.update is api.update
