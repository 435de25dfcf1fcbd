"""The caller's notification settings (services.notification_settings)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp
from consult.api.registry import operation
from consult.db import get_session
from consult.models import NotificationKind, NotificationMode
from consult.schemas import notifications as schemas
from consult.services import notification_settings


def _json(current: dict[NotificationKind, NotificationMode]) -> dict[str, str]:
    return {kind.value: mode.value for kind, mode in current.items()}


@bp.get("/me/notifications")
@operation(
    "The caller's notification settings",
    tag="accounts",
    response=schemas.NotificationSettings,
    errors=(401,),
    description="Per kind of e-mail: immediately, in a daily digest (grouped by "
    "consultation) or off. A kind never set is immediately.",
)
def my_notifications() -> ResponseReturnValue:
    return _json(notification_settings.my_settings(get_session(), actor=api_user()))


@bp.put("/me/notifications")
@operation(
    "Change the caller's notification settings",
    tag="accounts",
    body=schemas.NotificationSettingsInput,
    response=schemas.NotificationSettings,
    errors=(400, 401, 422),
    description="Only the kinds sent change; returns all of them. Every notification also "
    "carries a one-click link that turns its kind off (List-Unsubscribe).",
)
def update_my_notifications(body: schemas.NotificationSettingsInput) -> ResponseReturnValue:
    changes = notification_settings.parse(body.model_dump(exclude_none=True))
    current = notification_settings.update_settings(get_session(), changes, actor=api_user())
    return _json(current)
