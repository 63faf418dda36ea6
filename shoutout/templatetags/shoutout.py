"""Template tags that load the ShoutOut JS client and bind elements to state objects.

Use ``{% load shoutout %}``, then ``{% shoutout_script %}`` once per page and
``{% shoutout_progress object_id %}`` wherever a progress bar should follow an
object. The JS client is documented in ``docs/js-api.md``.
"""

from django import template
from django.templatetags.static import static

from shoutout.conf import shoutout_settings

register = template.Library()


def _csp_nonce(context):
    """Return the CSP nonce of the page: ``csp_nonce`` in the context, else ``request.csp_nonce``.

    Django 6's ``csp`` context processor sets the first; django-csp sets the second.
    """
    nonce = context.get("csp_nonce")
    if not nonce:
        nonce = getattr(context.get("request"), "csp_nonce", None)
    return str(nonce) if nonce else ""


@register.inclusion_tag("shoutout/script.html", takes_context=True)
def shoutout_script(context):
    """Render the ``<script>`` tag of the JS client.

    The tag is ``defer`` and carries ``data-url`` from ``SHOUTOUT['WEBSOCKET_URL']``
    and the page's CSP nonce, when the context has one. Put it once per page,
    for example in ``<head>``.
    """
    return {
        "src": static("shoutout/shoutout.js"),
        "url": shoutout_settings.WEBSOCKET_URL,
        "nonce": _csp_nonce(context),
    }


@register.inclusion_tag("shoutout/progress.html")
def shoutout_progress(object_id, key="pct", value=0, label="Progress"):
    """Render a ``<progress max="100">`` and a percentage label bound to ``state[key]``.

    ``value`` is the percentage shown until the first state arrives. Pass the
    current one, so a finished upload shows 100 % without waiting for JS.
    ``label`` is the progress bar's accessible name. The JS client updates both
    elements on every state of ``object_id`` that contains ``key``.
    """
    return {"object_id": str(object_id), "key": key, "value": value, "label": label}
