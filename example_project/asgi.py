"""ASGI entry point: HTTP goes to Django, WebSockets to ShoutOut's consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
# Build the HTTP application first: it sets Django up before the imports below.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

import shoutout.routing  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin validation, session and DRF token authentication, then the consumer.
        "websocket": shoutout.routing.websocket_application(),
    }
)
