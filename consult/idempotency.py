"""A write sent twice is done once: repeated form posts and retried API requests.

A double click, or a resend after a slow answer, sends the same form twice; a script
retries a request whose answer it never got. Each would store a second comment. Here
such a repeat is recognised and answered with the first request's answer instead:

- **Forms** carry a hidden one-time field (:func:`once_field`, a fresh value for every
  page rendered). The same person sending the same form (path and fields, that value
  included) again is a repeat. A form rendered anew, or changed before it is sent
  again, is a new write.
- **API requests** may carry an ``Idempotency-Key`` header; the same person sending
  the same key to the same path again gets the first answer (status, Location, JSON
  body). The key reused with another body is refused (422).

The first request stores its key in the same transaction as its write. A repeat that
arrives while the first is still running waits for it (PostgreSQL: the unique key;
SQLite: the write lock) and then replays its answer. An answer of 400 or more stores
nothing (the write was rolled back), so the repeat is carried out as a new attempt.
Keys are kept for :data:`KEEP`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from flask import Response, flash, g, redirect, request, session
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from consult.db import READING_METHODS, get_session, utcnow
from consult.errors import Invalid
from consult.models import Submission

#: The hidden form field with the page's one-time value.
ONCE_FIELD = "_once"
#: The API's request header (as Stripe and the IETF draft name it).
HEADER = "Idempotency-Key"
#: How long a write is remembered.
KEEP = timedelta(hours=24)
#: Longest accepted Idempotency-Key.
MAX_KEY_LENGTH = 255
#: Answers (JSON bodies) longer than this are not kept; a repeat then gets 409.
MAX_BODY = 256 * 1024
#: Every this many new keys, forget those older than KEEP.
_PURGE_ONE_IN = 200


def once_field() -> Markup:
    """The hidden field that makes a form's repeat recognisable (one value per page)."""
    nonce = g.get("once_nonce")
    if nonce is None:
        nonce = g.once_nonce = secrets.token_urlsafe(18)
    return Markup(f'<input type="hidden" name="{ONCE_FIELD}" value="{nonce}">')  # noqa: S704


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _form_fingerprint() -> str:
    """The form's fields and files as sent (multipart boundaries aside)."""
    fields = sorted(request.form.items(multi=True))
    files = []
    for name, upload in sorted(request.files.items(multi=True)):
        content = upload.stream.read()
        upload.stream.seek(0)
        files.append((name, upload.filename, hashlib.sha256(content).hexdigest()))
    return _digest(fields, files)


def begin(user_id: int | None, *, api: bool) -> WerkzeugResponse | None:
    """Called before a write is carried out. Returns the first answer for a repeat
    (which then must not be carried out), else None (remembering this request).
    Raises Invalid (422) for an Idempotency-Key reused with another body or too long."""
    if request.method in READING_METHODS or user_id is None:
        return None
    if api:
        token = request.headers.get(HEADER)
        if not token:
            return None
        if len(token) > MAX_KEY_LENGTH:
            raise Invalid(
                _("Der Idempotency-Key ist zu lang (höchstens %(n)s Zeichen).", n=MAX_KEY_LENGTH),
                code="invalid_idempotency_key",
            )
        body_hash = hashlib.sha256(request.get_data(cache=True)).hexdigest()
        key = _digest("api", user_id, request.method, request.path, token)
    else:
        token = request.form.get(ONCE_FIELD)
        if not token:
            return None
        body_hash = _form_fingerprint()
        key = _digest("form", user_id, request.method, request.full_path, body_hash)
    db = get_session()
    found = db.get(Submission, key)
    if found is None:
        try:
            with db.begin_nested():
                db.add(Submission(key=key, user_id=user_id, body_hash=body_hash))
        except IntegrityError:
            # The same request is being carried out right now; it has finished now.
            db.expire_all()
            found = db.scalar(select(Submission).where(Submission.key == key))
        else:
            g.submission_key = key
            if secrets.randbelow(_PURGE_ONE_IN) == 0:
                _purge(db)
            return None
    if found is None:  # pragma: no cover - the other request rolled back meanwhile
        return None
    if found.body_hash != body_hash:
        raise Invalid(
            _(
                "Dieser Idempotency-Key wurde schon für eine andere Anfrage verwendet. "
                "Nehmen Sie für eine neue Anfrage einen neuen."
            ),
            code="idempotency_key_reused",
        )
    return _replay(found, api=api)


def _purge(db: Session) -> None:
    db.execute(delete(Submission).where(Submission.created_at < utcnow() - KEEP))


def _replay(found: Submission, *, api: bool) -> WerkzeugResponse:
    """The first request's answer, again."""
    if api:
        if found.status is None or found.body is None:
            message = _("Diese Anfrage wurde schon ausgeführt.")
            response = Response(
                json.dumps({"error": {"code": "already_done", "message": message}}),
                status=409,
                mimetype="application/json",
            )
        else:
            response = Response(found.body, status=found.status, mimetype="application/json")
        if found.location:
            response.headers["Location"] = found.location
        response.headers["Idempotent-Replayed"] = "true"
        return response
    for category, message in json.loads(found.flashes or "[]"):
        flash(message, category)
    if found.body is not None and found.status is not None and found.status < 300:
        # The JSON answer to a form the page's script sent (see finish()).
        return Response(found.body, status=found.status, mimetype="application/json")
    target = found.location or request.full_path.rstrip("?")
    return redirect(target, 303)


def finish(response: Response) -> None:
    """Called before the request commits: keep the answer of a remembered write.

    A form is remembered only when it was answered with a redirect (a write done), or,
    sent by the page's script, with JSON; a form shown again (errors, a preview) is
    carried out again when sent again.
    """
    key = g.pop("submission_key", None)
    if key is None or response.status_code >= 400:
        return
    db = get_session()
    row = db.get(Submission, key)
    if row is None:  # pragma: no cover - removed by the purge of another request
        return
    api = request.path.startswith("/api/")
    # A form sent by the page's script (the reading view's inline form) and answered with
    # JSON is remembered as an API answer is: its repeat gets the same JSON.
    scripted = not api and response.is_json
    if not api and not scripted and not 300 <= response.status_code < 400:
        db.delete(row)
        return
    row.status = response.status_code
    row.location = response.headers.get("Location")
    if (api or scripted) and response.is_json and not response.is_streamed:
        data = response.get_data(as_text=True)
        row.body = data if len(data) <= MAX_BODY else None
    flashed: list[Any] = session.get("_flashes", [])
    row.flashes = json.dumps([list(item) for item in flashed], ensure_ascii=False)
