"""Submit a Django admin form the way a browser would: read the rendered page's fields
(including the inline formsets' management forms), change some, post them back."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client

SKIPPED_INPUTS = {"submit", "button", "image", "file", "reset"}


class FormFields(HTMLParser):
    """The successful controls of the page's model form (id ends with `_form`)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Any] = {}
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or (not a.get("name") and tag != "option"):
            return
        if tag == "input":
            self._input(a)
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""
        elif tag == "select":
            self._select, self._first_option, self._selected = a["name"], None, False
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.fields[self._select], self._selected = a.get("value", ""), True

    def _input(self, a: dict[str, str]) -> None:
        kind = a.get("type", "text")
        if kind in SKIPPED_INPUTS or (kind in {"checkbox", "radio"} and "checked" not in a):
            return
        self.fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._selected:  # a browser submits the first option of a single select
                self.fields[self._select] = self._first_option or ""
            self._select = None


def submit(client: Client, url: str, **changes: Any) -> Any:
    """GET the admin form at `url`, apply `changes`, POST it; returns the response."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    parser = FormFields()
    parser.feed(page.content.decode())
    data = {**parser.fields, **{k: str(v) for k, v in changes.items()}}
    return client.post(url, data)


def assert_saved(response: Any) -> None:
    """Admin answers a successful save with a redirect; otherwise show the form errors."""
    if response.status_code != 302:
        context = response.context or {}
        errors = getattr(context.get("adminform"), "form", None)
        raise AssertionError(
            f"admin did not save: {getattr(errors, 'errors', response)}"
            f" {context.get('inline_admin_formsets', '')}"
        )
