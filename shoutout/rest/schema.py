"""The OpenAPI schema of ShoutOut's endpoints, served next to them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

SCHEMA_SUFFIX = "schema/"


class SchemaView(SpectacularAPIView):
    """Serve the schema of ShoutOut's REST endpoints only, under the prefix they are mounted at."""

    permission_classes = [AllowAny]
    serve_public = True
    custom_settings = {"TITLE": "ShoutOut API", "DESCRIPTION": "State objects for live status updates."}

    def get(self, request, *args, **kwargs):
        prefix = request.path_info[: -len(SCHEMA_SUFFIX)].lstrip("/")
        self.urlconf = [path(prefix, include("shoutout.rest.urls"))]
        return super().get(request, *args, **kwargs)
