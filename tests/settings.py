"""Settings for the test suite: the example project's apps, in-memory everything."""

from example_project.settings import *  # noqa: F401,F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
# Tests run expiry sweeps by hand, so no background task outlives a test's event loop.
SHOUTOUT = {"EXPIRY_SWEEP_INTERVAL": 0}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
