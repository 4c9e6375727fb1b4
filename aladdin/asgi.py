"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aladdin.settings")
django.setup(set_prefix=False)  # what get_asgi_application() does, with our handler

from aladdin.handlers import ASGIHandler  # noqa: E402

django_asgi_app = ASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from agents.llm.client import warm_up_in_background  # noqa: E402
from aladdin.checks import refuse_to_start_without_encryption_key  # noqa: E402
from aladdin.heap import freeze_start_up_objects  # noqa: E402
from aladdin.routing import BrowserOriginValidator, websocket_urlpatterns  # noqa: E402
from executions.resume import resume_waiting_runs  # noqa: E402

refuse_to_start_without_encryption_key()
warm_up_in_background(then=freeze_start_up_objects)
resume_waiting_runs()  # the embedded default: runs `cleanup_runs` reopened go on here

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
