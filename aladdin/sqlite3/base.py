"""Django's SQLite backend, with each statement's placeholder conversion made once.

Django writes `%s` placeholders; Python's sqlite3 takes `?`, so Django's cursor runs a
regular expression over every statement it executes. An agent run's statements have
the same few texts every time (fixed SQL, the ORM's queries), and the conversion was
about 2% of the CPU of 60 orchestrations at once (`make bench` profile, with
embeddings from an endpoint): here each text is converted once and remembered.
Everything else is Django's backend unchanged (`vendor` stays "sqlite").
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.backends.sqlite3 import base

# Texts differ by shape, not by value (values are parameters): a few hundred in a
# process. The bound keeps a caller building many IN (...) lists from growing it.
CONVERTED_TEXTS = 1024


@functools.lru_cache(maxsize=CONVERTED_TEXTS)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: Any = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)
