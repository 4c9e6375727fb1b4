"""The answer for a path under /api/ that no endpoint serves.

Django's own 404 is an HTML page (with DEBUG on, its technical page), which an API
client cannot read. This is the last route under /api/, so it answers any method.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # it changes nothing, and a client without a session must still read it
def api_not_found(request: HttpRequest) -> HttpResponse:
    path = request.path
    error = f"No API endpoint at {path}. The endpoints are listed at /api/docs/."
    if path.endswith("/") and _served(path.rstrip("/")):
        error = f"No API endpoint at {path}: use {path.rstrip('/')}, without the trailing slash."
    elif not path.endswith("/") and _served(path + "/"):
        if request.method in ("GET", "HEAD"):  # /api/docs in a browser: what APPEND_SLASH did
            return HttpResponsePermanentRedirect(path + "/")
        error = f"No API endpoint at {path}: use {path}/, with the trailing slash."
    return JsonResponse({"error": error}, status=404)


def _served(path: str) -> bool:
    try:
        return resolve(path).func is not api_not_found
    except Resolver404:
        return False
