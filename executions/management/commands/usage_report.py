"""Tokens, cost and runs per project and day, from the daily usage roll-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from executions.rollups import daily_totals, rollup_day


class Command(BaseCommand):
    help = "Roll up and print spend per project for the last N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="How many days back (1-90).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 90:
            raise CommandError("--days must be between 1 and 90.")
        today = timezone.localdate()
        self.stdout.write(f"{'day':<12}{'project':<32}{'runs':>6}{'failed':>8}{'tokens':>12}  cost")
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            rollup_day(day)
            for total in daily_totals(day):
                self.stdout.write(
                    f"{day.isoformat():<12}{total.project:<32}{total.runs:>6}"
                    f"{total.failed_runs:>8}{total.tokens:>12,}  ${total.cost:.4f}"
                )
