"""The periodic jobs, declared in settings (CELERY_BEAT_SCHEDULE), mirrored into
django-celery-beat's tables so the admin lists them before beat first starts.

Beat itself re-reads the same declarations at start; this only makes them
visible (and their enabled flag editable) from the first `make run`.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


def _schedule_fields(schedule: Any) -> dict[str, Any]:
    if isinstance(schedule, crontab):
        cron = CrontabSchedule.from_schedule(schedule)
        existing = CrontabSchedule.objects.filter(
            minute=cron.minute,
            hour=cron.hour,
            day_of_week=cron.day_of_week,
            day_of_month=cron.day_of_month,
            month_of_year=cron.month_of_year,
        ).first()
        if existing is None:
            cron.save()
            existing = cron
        return {"crontab": existing, "interval": None}
    seconds = int(getattr(schedule, "total_seconds", lambda: schedule)())
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    return {"interval": interval, "crontab": None}


def sync_periodic_tasks() -> list[str]:
    """Create or update one PeriodicTask per declared job; returns their names."""
    names = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": entry["task"], **_schedule_fields(entry["schedule"])}
        )
        names.append(name)
    return names
