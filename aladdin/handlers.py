"""Django's ASGI handler with its middleware run as one synchronous chain.

Django builds an asynchronous chain under ASGI and adapts at every middleware
that cannot run asynchronously. The project's middleware are synchronous (ours,
whitenoise's), so each request went loop -> thread (the outer middleware) ->
loop (`async_to_sync` back for the inner handler) -> thread again (the view):
two extra hand-offs, about 2 ms of CPU per request (bench/bench_api.py). Here
the chain is built as under WSGI and entered once, in the request's thread.
Asynchronous views still work: Django's synchronous path runs them with
`async_to_sync` on the server's event loop.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler


class ASGIHandler(DjangoASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        if is_async:
            # The one hand-off: the whole synchronous chain in the request's thread.
            chain: Any = self._middleware_chain  # type: ignore[has-type]
            self._middleware_chain = self.adapt_method_mode(True, chain, False)
