import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse

from shoutout import api, operations
from shoutout.ids import group_name
from shoutout.models import StateObject
from shoutout.store import get_store

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:shoutout_stateobject_changelist")


def change_url(object_id):
    return reverse("admin:shoutout_stateobject_change", args=[object_id])


def test_changelist_lists_live_objects(admin_client):
    object_id = api.create(data={"step": 1}).id
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert object_id in response.content.decode()


def test_changelist_hides_object_expired_in_store(admin_client):
    live = api.create().id
    expired = api.create().id
    get_store().delete(expired)  # the store dropped it before a sweep removed the row
    page = admin_client.get(CHANGELIST).content.decode()
    assert live in page
    assert expired not in page


def test_changelist_hides_expired_object(admin_client):
    expired = api.create().id
    operations.expire([expired])
    assert expired not in admin_client.get(CHANGELIST).content.decode()


def test_changelist_escapes_preview(admin_client):
    api.create(data={"label": "<script>alert(1)</script>"})
    page = admin_client.get(CHANGELIST).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_changelist_shows_update_id(admin_client):
    object_id = api.create().id
    api.update(object_id, "x", update_id=4242)
    assert "4242" in admin_client.get(CHANGELIST).content.decode()


def test_expire_now_action_expires_selected(admin_client):
    chosen = api.create().id
    kept = api.create().id
    response = admin_client.post(
        CHANGELIST, {"action": "expire_now", "_selected_action": [chosen]}, follow=True
    )
    assert response.status_code == 200
    assert api.get(chosen) is None
    assert not StateObject.objects.filter(pk=chosen).exists()
    assert api.get(kept) is not None


def test_expire_now_action_reports_count(admin_client):
    ids = [api.create().id for _ in range(2)]
    response = admin_client.post(CHANGELIST, {"action": "expire_now", "_selected_action": ids}, follow=True)
    assert "Expired 2 state objects." in response.content.decode()


def test_expire_now_action_notifies_receivers(admin_client):
    object_id = api.create().id
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(object_id), channel)

    admin_client.post(CHANGELIST, {"action": "expire_now", "_selected_action": [object_id]})

    event = async_to_sync(layer.receive)(channel)
    assert event["kind"] == "expired"
    assert event["object_id"] == object_id


def test_change_form_renders(admin_client):
    object_id = api.create(data={"step": 1}).id
    response = admin_client.get(change_url(object_id))
    assert response.status_code == 200
    assert object_id in response.content.decode()


def test_change_form_updates_store_ttl(admin_client):
    object_id = api.create(ttl=60).id
    response = admin_client.post(change_url(object_id), {"security": "public", "ttl": 120, "_save": "Save"})
    assert response.status_code == 302
    snapshot = get_store().get(object_id, operations.now())
    assert snapshot.ttl == 120
    assert StateObject.objects.get(pk=object_id).security == "public"


def test_add_is_not_offered(admin_client):
    response = admin_client.get(reverse("admin:shoutout_stateobject_add"))
    assert response.status_code == 403


def test_non_staff_is_redirected_to_login(client, django_user_model):
    user = django_user_model.objects.create_user("alice", password="pw")
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_is_redirected_to_login(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
