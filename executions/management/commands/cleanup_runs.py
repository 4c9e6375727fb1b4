"""python manage.py cleanup_runs: fail interrupted orchestrations, purge old runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from executions.maintenance import cleanup


class Command(BaseCommand):
    help = (
        "Mark orchestrations whose process stopped as failed, and delete finished runs "
        "older than ALADDIN_EXECUTION_RETENTION_DAYS. Celery beat runs this every minute."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--assume-stopped",
            action="store_true",
            help="No server is running orchestrations now: every unfinished one was "
            "interrupted (used by `make run` before it starts the single server).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = cleanup(assume_stopped=options["assume_stopped"])
        self.stdout.write(
            f"Interrupted runs marked failed: {report.interrupted}; "
            f"old runs deleted: {report.purged}."
        )
