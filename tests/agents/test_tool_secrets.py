"""HTTP tools' signing secrets are write-only in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from agents.models import CustomTool
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "wh-secret-3f9a81c2"


def http_tool() -> CustomTool:
    return factories.tool(
        implementation="http",
        builtin_name="",
        endpoint_url="https://partner.example/hook",
        signing_secret=SECRET,
    )


def change_form(tool: CustomTool, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tool_name": tool.tool_name,
        "display_name": tool.display_name,
        "description": tool.description,
        "input_schema": '{"type": "object"}',
        "example_inputs": "[]",
        "output_schema": "null",
        "implementation": "http",
        "endpoint_url": tool.endpoint_url,
        "dependencies": "[]",
        "version": tool.version,
    }
    data.update(fields)
    return data


def url_of(tool: CustomTool) -> str:
    return f"/admin/agents/customtool/{tool.pk}/change/"


def test_the_change_form_says_set_and_never_renders_the_secret(admin_client: Client) -> None:
    tool = http_tool()
    html = admin_client.get(url_of(tool)).content.decode()
    assert SECRET not in html
    assert '<div class="readonly">set</div>' in html
    assert 'name="new_signing_secret"' in html


def test_saving_without_typing_keeps_the_stored_secret(admin_client: Client) -> None:
    tool = http_tool()
    response = admin_client.post(url_of(tool), change_form(tool))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CustomTool.objects.get(pk=tool.pk).signing_secret == SECRET


def test_typing_a_new_secret_replaces_it(admin_client: Client) -> None:
    tool = http_tool()
    admin_client.post(url_of(tool), change_form(tool, new_signing_secret="next-secret"))
    assert CustomTool.objects.get(pk=tool.pk).signing_secret == "next-secret"


def test_the_secret_can_be_removed(admin_client: Client) -> None:
    tool = http_tool()
    admin_client.post(url_of(tool), change_form(tool, remove_signing_secret="on"))
    assert CustomTool.objects.get(pk=tool.pk).signing_secret == ""
    html = admin_client.get(url_of(tool)).content.decode()
    assert '<div class="readonly">not set</div>' in html


def test_a_secret_cannot_be_stored_without_an_encryption_key(
    admin_client: Client, settings: Any
) -> None:
    tool = factories.tool(
        implementation="http", builtin_name="", endpoint_url="https://partner.example/hook"
    )
    settings.ALADDIN_ENCRYPTION_KEY = ""
    response = admin_client.post(url_of(tool), change_form(tool, new_signing_secret="abc"))
    assert response.status_code == 200
    assert "ALADDIN_ENCRYPTION_KEY is not set" in response.content.decode()


def test_view_only_staff_see_whether_a_secret_is_set_and_nothing_else() -> None:
    tool = http_tool()
    viewer = get_user_model().objects.create_user("viewer", password="pw-viewer-123")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_customtool"))
    client = Client()
    client.force_login(viewer)
    response = client.get(url_of(tool))
    html = response.content.decode()
    assert response.status_code == 200
    assert SECRET not in html
    assert "new_signing_secret" not in html
    assert '<div class="readonly">set</div>' in html
