"""WebSocket URL patterns to include in the project's ``URLRouter``."""

from django.urls import path

from shoutout.consumers import StateConsumer

websocket_urlpatterns = [
    path("ws/shoutout/", StateConsumer.as_asgi()),
]
