"""Shared bits of the screenplay commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from brain.models import Project


def project_or_error(slug: str) -> Project:
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        known = ", ".join(Project.objects.values_list("slug", flat=True)) or "none"
        raise CommandError(f"No project {slug!r} (projects: {known}).")
    return project
