"""Small helpers shared by the HTML views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, render_template
from flask_wtf import FlaskForm

from consult.errors import ServiceError


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a local path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def form_error(form: FlaskForm, exc: ServiceError) -> None:
    """Tie a service error to the form's fields (or show it above the form)."""
    attached = False
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*list(field.errors), message]
            attached = True
    if not attached or not exc.fields:
        flash(exc.message, "error")


def render_form(template: str, status: int = 200, **context: object) -> tuple[str, int]:
    """Render a form page; invalid submissions answer 422 so nothing is committed."""
    return render_template(template, **context), status


__all__ = ["Response", "form_error", "render_form", "safe_next"]
