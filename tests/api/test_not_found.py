"""A path under /api/ that no endpoint serves: a JSON 404 an API client can read,
with DEBUG on (as `make run` sets it) and off."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_a_json_404_that_points_to_the_docs(
    client: Client, settings: SettingsWrapper, debug: bool, method: str
) -> None:
    settings.DEBUG = debug
    response = getattr(client, method)("/api/orchestrator/statuses/abc", secure=True)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert "/api/orchestrator/statuses/abc" in error and "/api/docs/" in error


def test_a_trailing_slash_too_many_names_the_endpoint_meant(client: Client) -> None:
    response = client.get("/api/agents/", secure=True)
    assert response.status_code == 404
    assert "/api/agents" in response.json()["error"]
    assert "without the trailing slash" in response.json()["error"]


def test_pages_outside_the_api_keep_the_html_404(client: Client) -> None:
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_docs_without_their_slash_still_open_in_a_browser(client: Client) -> None:
    response = client.get("/api/docs", secure=True)
    assert response.status_code == 301
    assert response["Location"] == "/api/docs/"
