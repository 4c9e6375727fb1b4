"""Admin: webhooks with a write-only secret, and the delivery log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from aladdin import audit
from aladdin.egress import EgressError, check_url
from webhooks.models import Webhook, WebhookDelivery
from webhooks.services import dispatch, forget_cached_hooks, retry_now


class WebhookForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(
        max_length=2000, assume_scheme="https", widget=forms.URLInput(attrs={"size": 80})
    )
    # Never rendered back: typing a value replaces the secret, leaving it blank keeps it.
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        max_length=256,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Webhook
        fields = ("project", "name", "url", "events", "is_active", "max_attempts")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        has_secret = bool(self.instance.pk and self.instance.secret)
        self.fields["new_secret"].help_text = (
            "Set. Type a new value to replace it." if has_secret else "Not set."
        )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            check_url(url)
        except EgressError as error:
            raise forms.ValidationError(str(error)) from error
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("new_secret") and not (self.instance.pk and self.instance.secret):
            self.add_error("new_secret", "A new webhook needs a secret to sign its requests.")
        return cleaned

    def save(self, commit: bool = True) -> Webhook:
        webhook: Webhook = super().save(commit=False)
        if self.cleaned_data.get("new_secret"):
            webhook.secret = self.cleaned_data["new_secret"]
        if commit:
            webhook.save()
        return webhook


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookForm
    list_display = ("name", "project", "url", "events", "is_active", "secret_state")
    list_filter = ("is_active", "project")
    search_fields = ("name", "url")

    @admin.display(description="Secret")
    def secret_state(self, webhook: Webhook) -> str:
        return "set" if webhook.secret else "not set"

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_cached_hooks()
        changed = [name for name in form.changed_data if name != "new_secret"]
        if "new_secret" in form.changed_data:
            changed.append("secret (value not logged)")
        audit.record(
            "webhook.update" if change else "webhook.create",
            "webhook",
            obj.pk,
            request=request,
            changes={"fields": changed},
        )

    def delete_model(self, request: HttpRequest, obj: Webhook) -> None:
        audit.record("webhook.delete", "webhook", obj.pk, request=request)
        super().delete_model(request, obj)
        forget_cached_hooks()


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "created_at",
        "webhook",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type", "webhook__project")
    search_fields = ("webhook__name", "execution_id")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["retry_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Retry the selected deliveries now")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = retry_now(ids)
        for delivery_id in ids:
            dispatch(delivery_id)
        self.message_user(request, f"{count} deliveries will be sent again.", messages.SUCCESS)
