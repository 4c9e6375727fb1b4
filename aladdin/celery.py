"""The Celery app. Workers run orchestrations when a broker is configured."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aladdin.settings")

app = Celery("aladdin", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_to_start_without_encryption_key(**kwargs: Any) -> None:
    from aladdin.checks import refuse_to_start_without_encryption_key as refuse

    refuse()


@worker_process_init.connect
def freeze_start_up_objects(**kwargs: Any) -> None:
    """A pool process starts with Django loaded: keep that out of every collection."""
    from aladdin.heap import freeze_start_up_objects as freeze

    freeze()
