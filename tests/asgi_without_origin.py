"""ASGI applications with a WebSocket route that ``shoutout.W005`` or ``shoutout.W007`` warns about.

``application`` and ``bare_router`` route WebSockets to ShoutOut without
origin validation (W005); ``django_only`` and ``http_only_router`` route no
WebSockets at all (W007). The tests point ``ASGI_APPLICATION`` here.
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

# Django's own ASGI handler, as startproject writes it: HTTP only.
django_only = get_asgi_application()

# A Channels router without a "websocket" entry.
http_only_router = ProtocolTypeRouter({"http": get_asgi_application()})
