"""URLs of ShoutOut's REST API; include them under a prefix of your choice::

    path("shoutout/", include("shoutout.urls")),
"""

from django.urls import include, path

from shoutout.rest.schema import SCHEMA_SUFFIX, SchemaView

urlpatterns = [
    path("api/", include("shoutout.rest.urls")),
    path(f"api/{SCHEMA_SUFFIX}", SchemaView.as_view(), name="shoutout-schema"),
]
