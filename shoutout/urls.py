"""URLs of ShoutOut's REST API; include them under a prefix of your choice::

    path("shoutout/", include("shoutout.urls")),
"""

from django.urls import include, path

from shoutout.rest.schema import SCHEMA_SUFFIX, SchemaView

urlpatterns = [
    path(f"api/{SCHEMA_SUFFIX}", SchemaView.as_view(), name="shoutout-schema"),
    # Last: the REST URLs end with a catch-all that returns JSON 404s.
    path("api/", include("shoutout.rest.urls")),
]
