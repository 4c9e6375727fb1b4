"""The upload form, shared by the project's script page and the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from brain.models import Project
from screenplay.importing import MAX_EPISODE


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="Fountain (.fountain, .txt), Final Draft (.fdx) or PDF.",
        widget=forms.ClearableFileInput(attrs={"accept": ".fountain,.spmd,.txt,.fdx,.pdf"}),
    )
    episode = forms.IntegerField(
        min_value=1, max_value=MAX_EPISODE, initial=1, help_text="Episode number."
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.ALADDIN_SCRIPT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; the limit is "
                f"{limit / 1_048_576:.1f} MB (ALADDIN_SCRIPT_MAX_BYTES)."
            )
        return upload


class AdminUploadForm(UploadForm):
    project = forms.ModelChoiceField(queryset=Project.objects.all())
    field_order = ["project", "file", "episode"]
