"""The state object model.

A row stores what changes rarely (owner, security, TTL, creation time). The hot
data (current data, update id, last write, expiry) lives in the state store,
so a progress update never writes a database row. An object is live while its
row exists and the store holds it unexpired.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from shoutout.ids import new_object_id


class Security(models.TextChoices):
    PUBLIC = "public", "Public: anyone who knows the id reads"
    AUTHENTICATED = "authenticated", "Authenticated: any logged-in user reads"
    PRIVATE = "private", "Private: only the users and groups granted read"


class StateObject(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_object_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shoutout_objects",
        help_text="The user who created the object; empty for anonymous objects.",
    )
    security = models.CharField(max_length=16, choices=Security.choices, default=Security.PRIVATE)
    ttl = models.PositiveIntegerField(
        help_text="Seconds the object lives after its creation or its last write."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shoutout_readable",
        help_text="Users who may read the object whatever its security.",
    )
    writers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shoutout_writable",
        help_text="Users who may read and write the object.",
    )
    reader_groups = models.ManyToManyField(
        Group, blank=True, related_name="shoutout_readable",
        help_text="Members of these groups may read the object.",
    )
    writer_groups = models.ManyToManyField(
        Group, blank=True, related_name="shoutout_writable",
        help_text="Members of these groups may read and write the object.",
    )
    token_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Capability tokens minted under an older generation are revoked.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "state object"
        verbose_name_plural = "state objects"

    def __str__(self):
        return self.id
