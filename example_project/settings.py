"""Settings of the ShoutOut example project.

Embedded defaults: SQLite, the in-memory channel layer and the in-memory state
store, so ``manage.py runserver`` works with nothing else installed. Set
``SHOUTOUT_REDIS_URL`` (for example ``redis://127.0.0.1:6379/0``) to use Redis
for both the channel layer and the state store, and ``SHOUTOUT_REDIS_PREFIX``
(default ``shoutout``) to choose the start of their Redis keys.
"""

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-insecure-key-do-not-deploy")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "shoutout",
    "example_project.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOUTOUT_EXAMPLE_DB", str(BASE_DIR / "example_project" / "db.sqlite3")),
    }
}

REDIS_URL = os.environ.get("SHOUTOUT_REDIS_URL")
# Start of every Redis key the example project writes, so several deployments
# (or test runs) can share one Redis without seeing each other's keys.
REDIS_PREFIX = os.environ.get("SHOUTOUT_REDIS_PREFIX", "shoutout")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 sets a 5 s socket timeout by default, which ends
                # channels-redis' blocking receive on idle connections.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "capacity": 1000,
                "prefix": f"{REDIS_PREFIX}:asgi",
            },
        }
    }
    SHOUTOUT = {
        "STORE": "shoutout.store.redis.RedisStore",
        "STORE_OPTIONS": {"url": REDIS_URL, "prefix": REDIS_PREFIX},
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }
    SHOUTOUT = {}

# Extra SHOUTOUT keys as a JSON object, to try settings without editing this
# file, for example SHOUTOUT_SETTINGS_JSON='{"WRITE_RATE_PER_CONNECTION": 500}'.
SHOUTOUT.update(json.loads(os.environ.get("SHOUTOUT_SETTINGS_JSON") or "{}"))

# Uploaded files of the demo are stored here.
MEDIA_ROOT = Path(os.environ.get("SHOUTOUT_EXAMPLE_MEDIA", BASE_DIR / "example_project" / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

STATIC_URL = "static/"
LOGIN_URL = "/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"shoutout": {"handlers": ["console"], "level": "INFO"}},
}
