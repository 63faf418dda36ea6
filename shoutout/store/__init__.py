"""State store backends and the accessor for the configured one."""

import threading

from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from shoutout.conf import shoutout_settings

_lock = threading.Lock()
_store = None


def get_store():
    """Return the process-wide store built from ``SHOUTOUT['STORE']`` and ``STORE_OPTIONS``."""
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                store_class = import_string(shoutout_settings.STORE)
                _store = store_class(**shoutout_settings.STORE_OPTIONS)
    return _store


def reset_store(**kwargs):
    """Drop the cached store so the next ``get_store()`` reads the settings again."""
    global _store
    if kwargs and kwargs.get("setting") != "SHOUTOUT":
        return
    with _lock:
        if _store is not None:
            _store.close()
        _store = None


setting_changed.connect(reset_store)
