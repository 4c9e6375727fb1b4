"""Top-level URL routes."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from aladdin import health, views

admin.site.site_header = "Aladdin"
admin.site.site_title = "Aladdin admin"
admin.site.index_title = "Agents, departments, tools and projects"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("aladdin/favicon.svg"), permanent=True)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("dashboard.urls")),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("brain/", include("brain.urls")),
    path("projects/<slug:slug>/script/", include("screenplay.urls")),
    path("api/", include("api.urls")),
]
