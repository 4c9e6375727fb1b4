"""The brain's pages under /brain/."""

from __future__ import annotations

from django.urls import path

from brain import views

app_name = "brain"

urlpatterns = [
    path("query", views.cypher_query, name="query"),
    path("<slug:slug>/graph", views.project_graph, name="graph"),
    path("<slug:slug>/search", views.search, name="search"),
]
