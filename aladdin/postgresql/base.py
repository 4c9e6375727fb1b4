"""Django's PostgreSQL backend, with a connection the server has dropped replaced.

Django checks a connection's health between requests (`close_old_connections`), and
only there. Threads that live on outside requests, asgiref's one ORM thread (which
runs every background orchestration) and the run writer's, kept a connection the
server had closed (a restart, a failover, an idle timeout), and every query of theirs
failed from then on, until the process was restarted. Here a connection that has
raised a database error is checked before its next use and replaced if it is dead:
the query that met the dropped connection fails, the next one works. Everything else
is Django's backend unchanged (`vendor` stays "postgresql").
"""

from __future__ import annotations

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if self.connection is not None and self.errors_occurred and not self.in_atomic_block:
            # One check after an error (`SELECT 1`), none while all goes well.
            self.errors_occurred = False
            if not self.is_usable():
                self.close()
                if self.pool is not None:  # its idle connections went with this one
                    self.pool.check()
                return
        super().close_if_health_check_failed()
