"""Pages of the upload demo: one-click login, the upload page and the watch page."""

from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shoutout import api

# Accounts the login page offers. Each is created on first use.
DEMO_ACCOUNTS = ("demo", "colleague")


def home(request):
    return redirect("demo:upload" if request.user.is_authenticated else "demo:login")


def login_page(request):
    """Show one button per demo account, and log in as the chosen one on POST.

    Anyone who reaches the page can log in as these accounts, so the login
    works only with DEBUG on.
    """
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    context = {"accounts": DEMO_ACCOUNTS, "next": next_url, "enabled": settings.DEBUG}
    if request.method != "POST":
        return render(request, "demo/login.html", context)

    account = request.POST.get("account")
    if not settings.DEBUG or account not in DEMO_ACCOUNTS:
        return HttpResponseBadRequest("Unknown demo account, or one-click login is off (DEBUG is off).")
    user, created = get_user_model().objects.get_or_create(username=account)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(next_url or "demo:upload")


@require_POST
def logout_page(request):
    logout(request)
    return redirect("demo:login")


@login_required
def upload_page(request):
    return render(request, "demo/upload.html")


def watch_page(request, object_id):
    """Show an upload's progress. The page renders the current state, and the JS client follows it."""
    current = api.get(object_id, user=request.user)
    if current is None:
        return render(request, "demo/missing.html", {"object_id": object_id}, status=404)

    data, update_id = current
    state = data if isinstance(data, dict) else {}
    context = {
        "object_id": object_id,
        "state": state,
        "pct": state.get("pct", 0),
        "update_id": update_id,
    }
    return render(request, "demo/watch.html", context)
