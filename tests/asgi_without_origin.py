"""An ASGI application that routes WebSockets to ShoutOut without origin validation.

The system check ``shoutout.W005`` warns about exactly this setup; the tests
point ``ASGI_APPLICATION`` here to trigger it.
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

import shoutout.routing
from shoutout.auth import TokenAuthMiddleware

application = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(shoutout.routing.websocket_urlpatterns))),
    }
)

# A WebSocket-only application: the router itself, with no middleware at all.
bare_router = URLRouter(shoutout.routing.websocket_urlpatterns)
