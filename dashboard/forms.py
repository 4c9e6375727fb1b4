"""The new-request form: Django fields for the widgets, executions.requests for the rules,
so the page refuses exactly what the CLI and the API refuse, with the same reasons."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from brain.models import Project
from executions.requests import PRIORITIES, RequestInvalid, ValidRequest, validate_request

# executions.requests names fields as the API spells them.
FIELD_OF = {"userPrompt": "prompt", "priority": "priority", "maxTokens": "max_tokens"}


class NewRequestForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none(), empty_label=None)
    prompt = forms.CharField(
        label="Request",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "Create a villain for episode 2 who..."}
        ),
    )
    priority = forms.ChoiceField(choices=[(p, p.title()) for p in PRIORITIES], initial="medium")
    quality_threshold = forms.FloatField(
        required=False,
        label="Quality threshold (0-100)",
        help_text="Blank: each agent's own threshold.",
    )
    max_tokens = forms.IntegerField(
        required=False, label="Max tokens", help_text="Blank: the project's per-run budget."
    )

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = projects

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        options: dict[str, Any] = {"priority": data.get("priority") or "medium"}
        if data.get("max_tokens") is not None:
            options["maxTokens"] = data["max_tokens"]
        if data.get("quality_threshold") is not None:
            options["qualityThreshold"] = data["quality_threshold"]
        try:
            data["valid"] = validate_request(data.get("prompt", ""), options)
        except RequestInvalid as invalid:
            for name, reasons in invalid.errors.items():
                field = {"qualityThreshold": "quality_threshold"}.get(name, FIELD_OF.get(name))
                for reason in reasons:
                    self.add_error(field, reason)
        return data

    @property
    def valid_request(self) -> ValidRequest:
        return self.cleaned_data["valid"]  # type: ignore[no-any-return]
