"""Personal data: the caller's data as JSON, and erasure of their account (API.md,
"Search, audit, personal data")."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from consult.api.base import api_user, bp
from consult.api.registry import operation
from consult.db import get_session
from consult.schemas import privacy as schemas
from consult.services import privacy


@bp.get("/me/data")
@operation(
    "Everything stored about the caller (DSGVO Art. 15)",
    tag="accounts",
    response=schemas.MyData,
    errors=(401,),
    description="Account, memberships, working groups, feedback with replies and published "
    "decisions, replies, statements, e-mails sent to the caller, API tokens (names and "
    "dates only) and logins. Recorded in the audit log.",
)
def my_data() -> ResponseReturnValue:
    return privacy.my_data(get_session(), actor=api_user())


@bp.post("/me/erasure")
@operation(
    "Erase the caller's account (DSGVO Art. 17)",
    tag="accounts",
    status=202,
    response=schemas.ErasureAccepted,
    errors=(401, 409),
    description="The account is anonymised: its name and e-mail address disappear from "
    "every page, export and response, its tokens and sessions stop working (the next "
    "request with the same token is 401). What it wrote for its organisation (feedback, "
    "statements) stays, shown as written by a former participant of that organisation.",
)
def erase_me() -> ResponseReturnValue:
    user = privacy.erase(get_session(), actor=api_user())
    assert user.erased_at is not None
    return {"status": "erased", "erased_at": user.erased_at.isoformat()}, 202
