"""ShoutOut: live status updates for Django.

The sender API lives in :mod:`shoutout.api`; its functions are re-exported here
lazily so that importing ``shoutout`` never touches Django settings.
"""

__version__ = "0.1.0.dev0"

_API_NAMES = {
    "create", "acreate", "update", "aupdate", "publish", "apublish",
    "delete", "adelete", "get", "aget", "WriteResult", "mint_token", "amint_token",
    "revoke_tokens", "arevoke_tokens", "set_grants", "aset_grants",
}


def __getattr__(name):
    if name in _API_NAMES:
        from shoutout import api

        return getattr(api, name)
    raise AttributeError(f"module 'shoutout' has no attribute {name!r}")
