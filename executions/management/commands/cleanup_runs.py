"""python manage.py cleanup_runs: fail interrupted orchestrations, purge old runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from executions.maintenance import cleanup


class Command(BaseCommand):
    help = (
        "Mark runs whose process stopped as failed, release the budget they held, and "
        "delete finished runs "
        "older than ALADDIN_EXECUTION_RETENTION_DAYS. Celery beat runs this every minute."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--assume-stopped",
            action="store_true",
            help="Also fail unfinished runs recorded without a process marker (from "
            "before markers existed); used by `make run` before it starts the server. "
            "Runs of live processes, such as an `orchestrate` in another terminal, are "
            "never failed; runs whose process on this host is gone always are.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = cleanup(assume_stopped=options["assume_stopped"])
        self.stdout.write(
            f"Interrupted orchestrations resumed: {report.resumed}; "
            f"interrupted runs marked failed: {report.interrupted}; "
            f"runs left behind by a finished orchestration: {report.orphans}; "
            f"budget holds released: {report.released_holds}; "
            f"brain documents left unfinished, marked interrupted: "
            f"{report.documents_interrupted}; "
            f"old runs deleted: {report.purged}."
        )
