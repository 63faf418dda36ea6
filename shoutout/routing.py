"""WebSocket routing for ShoutOut.

Most projects route their WebSocket traffic through
:func:`websocket_application`, which adds origin validation and
authentication (sessions and DRF tokens) in front of the consumer::

    application = ProtocolTypeRouter({
        "http": django_asgi_app,
        "websocket": shoutout.routing.websocket_application(),
    })

Projects with consumers of their own add ``websocket_urlpatterns`` to their
``URLRouter`` and wrap it the same way.
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from shoutout.auth import TokenAuthMiddleware
from shoutout.consumers import StateConsumer
from shoutout.origins import OriginValidator

websocket_urlpatterns = [
    path("ws/shoutout/", StateConsumer.as_asgi()),
]


def websocket_application(urlpatterns=None):
    """Return the ASGI app for WebSocket connections: origin check, session and token auth, routing."""
    router = URLRouter(websocket_urlpatterns if urlpatterns is None else urlpatterns)
    return OriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(router)))
