"""The brain's graph store: pick the backend from settings, once per process.

NEO4J_URL set -> Neo4j (one driver for the process); unset -> the embedded backend
in the project's database. Import the concrete backends from their modules; this
package only chooses between them.
"""

from __future__ import annotations

import threading

from django.conf import settings

from brain.graph.base import GraphBackend

_backend: GraphBackend | None = None
_lock = threading.Lock()


def get_backend() -> GraphBackend:
    global _backend
    with _lock:
        if _backend is None:
            _backend = build_backend()
        return _backend


def build_backend() -> GraphBackend:
    if settings.NEO4J_URL:
        from brain.graph.neo4j_backend import Neo4jBackend

        return Neo4jBackend.for_url(
            settings.NEO4J_URL,
            user=settings.NEO4J_USER,
            password=settings.NEO4J_PASSWORD,
            database=settings.NEO4J_DATABASE,
        )
    from brain.graph.embedded_backend import EmbeddedBackend

    return EmbeddedBackend()


def reset_backend() -> None:
    """Forget the chosen backend so the next call reads settings again (after the
    settings change, e.g. in a test). Neo4j drivers stay cached per server."""
    global _backend
    with _lock:
        _backend = None
