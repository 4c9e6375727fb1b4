"""JWT tokens, API keys for service accounts, the session, and user_from_token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from aladdin.models import AuditLog
from api import keys
from api.auth import user_from_token
from api.models import ApiKey
from brain.models import Project

Member = Callable[..., Any]


def test_a_jwt_from_username_and_password_opens_the_api(member: Member, project: Project) -> None:
    user = member("user", project)
    client = APIClient()

    tokens = client.post(
        "/api/auth/token/",
        {"username": user.username, "password": "pw-long-enough-1"},
        format="json",
    ).json()
    refreshed = client.post(  # a form post, as `curl -d` sends
        "/api/auth/token/refresh/",
        f"refresh={tokens['refresh']}",
        content_type="application/x-www-form-urlencoded",
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed['access']}")

    assert client.get("/api/projects").json()[0]["slug"] == project.slug
    login = AuditLog.objects.get(action="auth.login", user=user)
    assert login.changes == {"method": "jwt"} and login.success


def test_wrong_passwords_and_bad_tokens_are_401_and_failed_logins_are_audited(
    member: Member, project: Project
) -> None:
    user = member("user", project)
    client = APIClient()

    wrong = client.post(
        "/api/auth/token/", {"username": user.username, "password": "nope"}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    bad = client.get("/api/projects")

    assert wrong.status_code == 401
    assert bad.status_code == 401 and "bearer token is invalid" in bad.json()["error"]
    failed = AuditLog.objects.get(action="auth.login_failed")
    assert failed.resource_id == user.username and not failed.success
    assert (
        client.post("/api/auth/token/refresh/", {"refresh": "x"}, format="json").status_code == 401
    )
    assert client.post("/api/auth/token/", {}, format="json").status_code == 400


def test_an_api_key_works_in_either_header_and_records_its_last_use(
    member: Member, project: Project
) -> None:
    robot = member("user", project)
    key, raw = keys.create_key(robot, "render farm")

    by_scheme = APIClient().get("/api/projects", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    by_header = APIClient().get("/api/projects", HTTP_X_API_KEY=raw)

    assert by_scheme.status_code == 200 and by_header.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert raw not in key.hashed_key and len(key.hashed_key) == 64


def test_revoked_unknown_and_tampered_keys_are_401(member: Member, project: Project) -> None:
    key, raw = keys.create_key(member("user", project), "old")
    keys.revoke(ApiKey.objects.filter(pk=key.pk))

    revoked = APIClient().get("/api/projects", HTTP_X_API_KEY=raw)
    tampered = APIClient().get("/api/projects", HTTP_X_API_KEY=raw[:-2] + "xx")

    assert revoked.status_code == 401 and "unknown or revoked" in revoked.json()["error"]
    assert tampered.status_code == 401


def test_last_used_is_written_at_most_once_a_minute(member: Member, project: Project) -> None:
    key, raw = keys.create_key(member("user", project), "busy")
    recent = timezone.now() - timedelta(seconds=5)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=recent)

    keys.user_for_key(raw)

    key.refresh_from_db()
    assert key.last_used_at == recent


def test_the_session_authenticates_the_api_for_the_dashboard(
    member: Member, project: Project
) -> None:
    client = Client()
    client.force_login(member("viewer", project))

    assert client.get("/api/projects").status_code == 200


def test_user_from_token_accepts_headers_and_bare_tokens(member: Member, project: Project) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    user = member("user", project)
    access = str(RefreshToken.for_user(user).access_token)
    _, raw = keys.create_key(user, "socket")

    assert user_from_token(f"Bearer {access}") == user
    assert user_from_token(access) == user
    assert user_from_token(f"Api-Key {raw}") == user
    assert user_from_token(raw) == user
    assert user_from_token("Bearer nonsense") is None
    assert user_from_token("") is None
    user.is_active = False
    user.save()
    assert user_from_token(access) is None


def test_the_admin_shows_a_new_key_once_and_stores_only_its_hash(
    admin_client: Client, member: Member, project: Project
) -> None:
    robot = member("user", project)

    response = admin_client.post(
        "/admin/api/apikey/add/", {"name": "ci", "user": robot.pk}, follow=True
    )

    key = ApiKey.objects.get(name="ci")
    shown = [str(m) for m in response.context["messages"]]
    raw = shown[0].split("The key for ci: ")[1].split(" ")[0]
    assert keys.user_for_key(raw) == robot
    assert raw not in admin_client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()
    assert AuditLog.objects.filter(action="apikey.create", resource_id=str(key.pk)).exists()


def test_a_bulk_revoke_in_the_admin_is_audited(
    admin_client: Client, member: Member, project: Project
) -> None:
    first, _ = keys.create_key(member("user", project), "a")
    second, _ = keys.create_key(member("user", project), "b")

    admin_client.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [first.pk, second.pk]},
        HTTP_USER_AGENT="pytest-browser",
    )

    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 2
    row = AuditLog.objects.get(action="apikey.revoke")
    assert sorted(row.changes["ids"]) == sorted([str(first.pk), str(second.pk)])
    assert row.user_agent == "pytest-browser" and row.ip_address == "127.0.0.1"
