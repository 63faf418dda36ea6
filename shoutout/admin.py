"""Admin list of live state objects, with an action that expires them now."""

from datetime import datetime, timezone

from django import forms
from django.contrib import admin, messages
from django.template.defaultfilters import truncatechars

from shoutout import grants, operations
from shoutout.errors import InvalidPayload
from shoutout.models import StateObject
from shoutout.store import get_store

PREVIEW_CHARS = 80


class StateObjectForm(forms.ModelForm):
    """Checks the TTL against ``SHOUTOUT['MAX_TTL']`` as the API does, so a bad value is a form error."""

    def clean_ttl(self):
        try:
            return operations.clean_ttl(self.cleaned_data["ttl"])
        except InvalidPayload as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(StateObject)
class StateObjectAdmin(admin.ModelAdmin):
    """Lists only live objects; the hot fields come from the state store.

    The admin's own permission checks apply, and the admin site is staff-only.
    Previews are plain text, which the admin escapes.
    """

    list_display = ("id", "owner", "security", "created_at", "expires", "update_id", "last_write", "preview")
    list_filter = ("security",)
    search_fields = ("id", "owner__username")
    readonly_fields = ("id", "owner", "created_at", "expires", "update_id", "last_write", "preview")
    fields = (
        "id", "owner", "security", "ttl", "readers", "writers", "reader_groups", "writer_groups",
        "token_generation", "created_at", "expires", "update_id", "last_write", "preview",
    )
    readonly_fields = readonly_fields + ("token_generation",)
    filter_horizontal = ("readers", "writers", "reader_groups", "writer_groups")
    actions = ["expire_now", "revoke_tokens"]
    form = StateObjectForm

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("owner")
        # NOTE: this loads every row id to ask the store which are live; fine
        # for thousands of objects, slow for millions.
        ids = list(queryset.values_list("pk", flat=True))
        live = get_store().get_many(ids, operations.now())
        return queryset.filter(pk__in=list(live))

    def has_add_permission(self, request):
        return False  # objects are created through the API, which sets up their state

    def _snapshot(self, obj):
        # One store read per column and row: a page of 100 rows costs 400
        # reads, which is cheap next to rendering it.
        return get_store().get(obj.pk, operations.now())

    @admin.display(description="expires")
    def expires(self, obj):
        snapshot = self._snapshot(obj)
        return datetime.fromtimestamp(snapshot.expires_at, tz=timezone.utc) if snapshot else "expired"

    @admin.display(description="update id")
    def update_id(self, obj):
        snapshot = self._snapshot(obj)
        return snapshot.update_id if snapshot else None

    @admin.display(description="last write")
    def last_write(self, obj):
        snapshot = self._snapshot(obj)
        return datetime.fromtimestamp(snapshot.last_write, tz=timezone.utc) if snapshot else None

    @admin.display(description="data")
    def preview(self, obj):
        snapshot = self._snapshot(obj)
        return truncatechars(snapshot.data_json, PREVIEW_CHARS) if snapshot else ""

    @admin.action(description="Expire selected objects now")
    def expire_now(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        operations.expire(ids)
        self.message_user(request, f"Expired {len(ids)} state objects.", messages.SUCCESS)

    @admin.action(description="Revoke all capability tokens of selected objects")
    def revoke_tokens(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        for object_id in ids:
            grants.revoke_tokens(object_id)
        self.message_user(request, f"Revoked the tokens of {len(ids)} state objects.", messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        """Save readers and writers, then tell receivers to check their access again."""
        super().save_related(request, form, formsets, change)
        operations.announce_access_change(form.instance.pk)

    def save_model(self, request, obj, form, change):
        """Save security and TTL changes through the operations, so the store follows."""
        operations.configure(obj.pk, ttl=obj.ttl, security=obj.security)
