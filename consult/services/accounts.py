"""Organisations, users, passwords, single-use links and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from consult.db import is_id, utcnow, write_aside
from consult.domain import textrules
from consult.errors import Conflict, Invalid, NotFound
from consult.models import ApiToken, OneTimeToken, Organisation, OrganisationKind, User
from consult.services import access, feedback_versions, mail, permissions
from consult.services.locks import lock_name
from consult.services.text_fields import checked

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
TOKEN_PREFIX = "cst_"  # noqa: S105 - a public prefix, not a secret
#: A hash computed once, to spend the same time on unknown e-mail addresses.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(4))
#: Common passwords, one per line in lower case (package data; its head names the sources).
COMMON_PASSWORDS_FILE = "common_passwords.txt"
#: Keyboard rows and columns (German and English layouts): runs along them are weak.
KEYBOARD_LINES = (
    "qwertzuiopü",
    "asdfghjklöä",
    "<yxcvbnm,.-",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    *("1qay", "2wsx", "3edc", "4rfv", "5tgb", "6zhn", "7ujm", "1qaz", "6yhn"),
)
#: The alphabet and the digits: runs along them ("abcdef", "654321") are weak as well.
SEQUENCE_LINES = ("abcdefghijklmnopqrstuvwxyz", "01234567890")
#: The shortest run along a keyboard line or a sequence that counts as weak.
MIN_RUN = 4
#: Leetspeak undone before the list is consulted ("p@ssw0rt" is "passwort").
_LEET = str.maketrans("@4310$5!7", "aaeiossit")
#: What is not a letter: stripped from both ends before the list is consulted.
_EDGES = re.compile(r"^[^a-zäöüß]+|[^a-zäöüß]+$")
_NOT_ALNUM = re.compile(r"[\W_]+")
#: A piece repeated right after itself ("aaaa", "hahaha", "abcabc").
_REPEAT = re.compile(r"(.+?)\1+", re.DOTALL)
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i"})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean_name(
    value: object, field: str, label: str, rule: textrules.TextRule = textrules.NAME
) -> str:
    return checked(value, rule, field, label, code="invalid")


def normalize_email(value: object) -> str:
    """A trimmed e-mail address; raises Invalid when it does not look like one."""
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()) or len(value) > 254:
        raise Invalid(
            _("Die E-Mail-Adresse ist ungültig."),
            fields={"email": _("Bitte eine gültige E-Mail-Adresse angeben.")},
        )
    return value.strip()


def check_password_rules(
    password: object, *, email: str | None = None, name: str | None = None
) -> str:
    """The password if it is acceptable; raises Invalid with the reason otherwise.

    Refused: fewer than MIN_PASSWORD_LENGTH characters; the e-mail address itself; fewer
    than four different characters; a password of the common-password list, also with
    digits or signs before or after it and with leetspeak undone ("Passw0rt-2024!"); and a
    password that is shorter than MIN_PASSWORD_LENGTH once what is easy to guess is left
    out: keyboard runs ("qwertz", "asdf"), runs of letters or digits ("abcd", "4321"),
    repetitions ("aaaa", "hahaha"), the e-mail address or its parts before the @, and the
    person's name. So "Demo-Redaktion-2026" passes for redaktion@…, "Redaktion-2026" not.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            _(
                "Das Passwort muss mindestens %(limit)d Zeichen lang sein.",
                limit=MIN_PASSWORD_LENGTH,
            ),
            fields={"password": _("Mindestens %(limit)d Zeichen.", limit=MIN_PASSWORD_LENGTH)},
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(_("Das Passwort ist zu lang."), fields={"password": _("Zu lang.")})
    if email and password.strip().lower() == email.strip().lower():
        raise Invalid(
            _("Das Passwort darf nicht die E-Mail-Adresse sein."),
            fields={"password": _("Nicht die E-Mail-Adresse verwenden.")},
        )
    if len(set(password)) < 4:
        raise Invalid(
            _("Das Passwort ist zu einfach."),
            fields={"password": _("Bitte verschiedene Zeichen verwenden.")},
        )
    text = unicodedata.normalize("NFKC", password).lower()
    if _is_common(text):
        raise Invalid(
            _(
                "Das Passwort steht auf der Liste häufig verwendeter Passwörter (auch mit "
                "Ziffern oder Zeichen davor oder dahinter)."
            ),
            fields={
                "password": _(
                    "Steht auf der Liste häufig verwendeter Passwörter (auch mit Ziffern oder "
                    "Zeichen davor oder dahinter)."
                )
            },
        )
    reason = _guessable_part(text, email=email, name=name)
    if reason is not None:
        raise _guessable(reason)
    return password


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), read once. Raises nothing."""
    text = resources.files("consult").joinpath(COMMON_PASSWORDS_FILE).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _is_common(text: str) -> bool:
    """Whether the (lower-case) password, or its letters without the digits and signs at
    either end, is on the list; also with separators left out or leetspeak undone."""
    listed = common_passwords()
    candidates = {text, _NOT_ALNUM.sub("", text)}
    stripped = _EDGES.sub("", text)
    for core in (stripped, stripped.translate(_LEET), _EDGES.sub("", text.translate(_LEET))):
        if len(core) >= MIN_RUN:
            candidates |= {core, _NOT_ALNUM.sub("", core)}
    return not candidates.isdisjoint(listed)


def _personal_words(email: str | None, name: str | None) -> list[tuple[str, str]]:
    """(word, "email" or "name"): the address, its part before the @ and that part's
    pieces, and the parts of the name, each also without umlauts and accents."""
    words: list[tuple[str, str]] = []
    if email:
        address = email.strip().lower()
        local = address.partition("@")[0]
        words += [(w, "email") for w in (address, local, *_NOT_ALNUM.split(local))]
    if name:
        words += [(w, "name") for w in _NOT_ALNUM.split(name.lower())]
    found: dict[str, str] = {}
    for word, kind in words:
        plain = unicodedata.normalize("NFKD", word.translate(_TRANSLITERATION))
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        for variant in (word, word.translate(_TRANSLITERATION), plain):
            if len(variant) >= 3:
                found.setdefault(variant, kind)
    return sorted(found.items(), key=lambda item: -len(item[0]))


def _run_at(text: str, start: int, lines: tuple[str, ...]) -> int:
    """The length of the longest run starting at ``start`` along one of the lines,
    forwards or backwards."""
    longest = 0
    for line in lines:
        for ordered in (line, line[::-1]):
            at = ordered.find(text[start])
            length = 0
            while (
                at >= 0
                and start + length < len(text)
                and at + length < len(ordered)
                and text[start + length] == ordered[at + length]
            ):
                length += 1
            longest = max(longest, length)
    return longest


def _guessable_part(text: str, *, email: str | None, name: str | None) -> str | None:
    """What makes the (lower-case) password too short once the guessable parts are left
    out ("email", "name", "keyboard", "sequence", "repeat"), or None when it is long
    enough without them."""
    kinds: list[str | None] = [None] * len(text)

    def mark(start: int, end: int, kind: str) -> None:
        for i in range(start, end):
            kinds[i] = kinds[i] or kind

    for word, kind in _personal_words(email, name):
        at = text.find(word)
        while at >= 0:
            mark(at, at + len(word), kind)
            at = text.find(word, at + len(word))
    for match in _REPEAT.finditer(text):
        piece, end = match.group(1), match.end()
        while end < len(text) and text[end] == piece[(end - match.start()) % len(piece)]:
            end += 1  # a last, partial repetition: "katze-katze-katze"
        if len(piece) > 1 or end - match.start() >= 3:
            mark(match.start() + len(piece), end, "repeat")  # the piece itself counts once
    start = 0
    while start < len(text):
        keyboard = _run_at(text, start, KEYBOARD_LINES)
        sequence = _run_at(text, start, SEQUENCE_LINES)
        length = max(keyboard, sequence)
        if length >= MIN_RUN:
            mark(start, start + length, "keyboard" if keyboard >= sequence else "sequence")
            start += length
        else:
            start += 1
    if kinds.count(None) >= MIN_PASSWORD_LENGTH:
        return None
    order = ("email", "name", "keyboard", "sequence", "repeat")
    return max(order, key=lambda kind: (kinds.count(kind), -order.index(kind)))


def _guessable(reason: str) -> Invalid:
    """The error for a password that is too short without its guessable parts."""
    limit = MIN_PASSWORD_LENGTH
    if reason == "email":
        message = _(
            "Das Passwort enthält Ihre E-Mail-Adresse (oder einen Teil davon); ohne sie wäre "
            "es kürzer als %(limit)d Zeichen.",
            limit=limit,
        )
        field = _(
            "Enthält Ihre E-Mail-Adresse (oder einen Teil davon); ohne sie kürzer als "
            "%(limit)d Zeichen.",
            limit=limit,
        )
    elif reason == "name":
        message = _(
            "Das Passwort enthält Ihren Namen; ohne ihn wäre es kürzer als %(limit)d Zeichen.",
            limit=limit,
        )
        field = _("Enthält Ihren Namen; ohne ihn kürzer als %(limit)d Zeichen.", limit=limit)
    elif reason == "keyboard":
        message = _(
            "Das Passwort ist (größtenteils) eine Tastaturfolge wie „qwertz“ oder „asdf“; ohne "
            "sie wäre es kürzer als %(limit)d Zeichen.",
            limit=limit,
        )
        field = _(
            "Ist (größtenteils) eine Tastaturfolge wie „qwertz“; ohne sie kürzer als %(limit)d "
            "Zeichen.",
            limit=limit,
        )
    elif reason == "sequence":
        message = _(
            "Das Passwort ist (größtenteils) eine Folge wie „abcdef“ oder „123456“; ohne sie "
            "wäre es kürzer als %(limit)d Zeichen.",
            limit=limit,
        )
        field = _(
            "Ist (größtenteils) eine Folge wie „abcdef“ oder „123456“; ohne sie kürzer als "
            "%(limit)d Zeichen.",
            limit=limit,
        )
    else:
        message = _(
            "Das Passwort wiederholt (größtenteils) Zeichen oder Silben wie „aaaa“ oder "
            "„hahaha“; ohne die Wiederholungen wäre es kürzer als %(limit)d Zeichen.",
            limit=limit,
        )
        field = _(
            "Wiederholt Zeichen oder Silben; ohne die Wiederholungen kürzer als %(limit)d Zeichen.",
            limit=limit,
        )
    return Invalid(message, fields={"password": field})


# --- organisations -------------------------------------------------------------------


def parse_kind(value: object) -> OrganisationKind:
    """The OrganisationKind named by ``value``. Raises Invalid (an unknown kind)."""
    try:
        return OrganisationKind(str(value))
    except ValueError:
        allowed = ", ".join(k.value for k in OrganisationKind)
        raise Invalid(
            _("Unbekannte Art der Organisation. Erlaubt: %(allowed)s.", allowed=allowed),
            code="invalid_kind",
            fields={"kind": _("Bitte eine Art aus der Liste wählen.")},
        ) from None


def list_organisations(session: Session, *, actor: object) -> list[Organisation]:
    """Every organisation by name. Raises NotPermitted (not signed in)."""
    permissions.require(permissions.can_list_organisations(actor))
    return list(session.scalars(select(Organisation).order_by(func.lower(Organisation.name))))


def _ensure_unique_org_name(session: Session, name: str, own_id: int | None = None) -> None:
    # Compared case-folded in Python ("Ärztekammer" is "ärztekammer"): SQL's lower() folds
    # only ASCII on SQLite. A county has a few hundred organisations at most. Under a lock,
    # so that two admins saving "Caritas" and "caritas" at once do not both pass.
    lock_name(session, "organisation names")
    wanted = name.casefold()
    query = select(Organisation.id, Organisation.name)
    if any(oid != own_id and other.casefold() == wanted for oid, other in session.execute(query)):
        raise Conflict(
            _("Eine Organisation mit diesem Namen gibt es schon."),
            code="duplicate_name",
            fields={"name": _("Dieser Name ist schon vergeben.")},
        )


def create_organisation(session: Session, *, actor: object, name: str, kind: str) -> Organisation:
    """Create an organisation. Raises NotPermitted, Invalid, Conflict (name taken)."""
    permissions.require(permissions.can_manage_accounts(actor))
    clean = _clean_name(name, "name", _("Name"))
    org_kind = parse_kind(kind)
    _ensure_unique_org_name(session, clean)
    org = Organisation(name=clean, kind=org_kind.value, is_active=True)
    session.add(org)
    session.flush()
    return org


def update_organisation(
    session: Session,
    organisation_id: int,
    *,
    actor: object,
    name: str,
    kind: str,
    is_active: bool,
) -> Organisation:
    """Edit an organisation. Raises NotPermitted, NotFound, Invalid, Conflict (name taken).

    A new name also moves the feedback version of the consultations whose feedback
    shows it (services.feedback_versions)."""
    permissions.require(permissions.can_manage_accounts(actor))
    org = access.get_organisation(session, organisation_id, actor=actor)
    clean = _clean_name(name, "name", _("Name"))
    org_kind = parse_kind(kind)
    _ensure_unique_org_name(session, clean, org.id)
    renamed = clean != org.name
    org.name, org.kind, org.is_active = clean, org_kind.value, bool(is_active)
    session.flush()
    if renamed:  # feedback shows the name: cached reading views must not
        feedback_versions.bump_for_organisation(session, org.id)
    return org


# --- users ---------------------------------------------------------------------------


@dataclass
class NewUser:
    user: User
    #: The invitation link token when no password was given (already e-mailed).
    invitation_token: str | None


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with this e-mail address (any case), or None. Raises nothing."""
    return session.scalar(select(User).where(User.email_key == email.strip().lower()))


def list_users(session: Session, *, actor: object) -> list[User]:
    """Every user by name, for the administration. Raises NotPermitted (not an admin)."""
    permissions.require(permissions.can_manage_accounts(actor))
    return list(session.scalars(select(User).order_by(func.lower(User.name))))


def _organisation_or_invalid(session: Session, organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    org = session.get(Organisation, organisation_id) if is_id(organisation_id) else None
    if org is None:
        raise Invalid(
            _("Diese Organisation gibt es nicht."),
            code="unknown_organisation",
            fields={"organisation_id": _("Bitte eine vorhandene Organisation wählen.")},
        )
    return org


def create_user(
    session: Session,
    *,
    actor: object | None,
    email: str,
    name: str,
    organisation_id: int | None = None,
    password: str | None = None,
    is_admin: bool = False,
    system: bool = False,
) -> NewUser:
    """Create a user; without a password an invitation e-mail is queued.

    ``system=True`` is for the command line (no acting user). Raises NotPermitted,
    Invalid, Conflict (e-mail taken).
    """
    if not system:
        permissions.require(permissions.can_manage_accounts(actor))
    address = normalize_email(email)
    clean_name = _clean_name(name, "name", _("Name"))
    org = _organisation_or_invalid(session, organisation_id)
    if password not in (None, ""):
        check_password_rules(password, email=address, name=clean_name)
    lock_name(session, "e-mail addresses")  # two admins adding one address at once
    if find_user_by_email(session, address) is not None:
        raise Conflict(
            _("Diese E-Mail-Adresse ist schon registriert."),
            code="duplicate_email",
            fields={"email": _("Schon registriert.")},
        )
    user = User(
        email=address,
        email_key=address.lower(),
        name=clean_name,
        organisation=org,
        is_admin=bool(is_admin),
        is_active=True,
        password_hash=generate_password_hash(password)
        if isinstance(password, str) and password
        else None,
    )
    session.add(user)
    session.flush()
    token = None
    if user.password_hash is None:
        token = send_invitation(session, user)
    return NewUser(user=user, invitation_token=token)


def update_user(
    session: Session,
    user_id: int,
    *,
    actor: object,
    name: str,
    email: str,
    organisation_id: int | None,
    is_admin: bool,
    is_active: bool,
) -> User:
    """Admin edit of a user; admins cannot demote or deactivate themselves. Raises NotPermitted,
    NotFound, Invalid, Conflict (the address is taken; an admin locking themselves out)."""
    user = access.get_user(session, user_id, actor=actor)
    address = normalize_email(email)
    lock_name(session, "e-mail addresses")
    other = find_user_by_email(session, address)
    if other is not None and other.id != user.id:
        raise Conflict(
            _("Diese E-Mail-Adresse ist schon registriert."),
            code="duplicate_email",
            fields={"email": _("Schon registriert.")},
        )
    if isinstance(actor, User) and user.id == actor.id and (not is_admin or not is_active):
        raise Conflict(
            _(
                "Sie können sich nicht selbst die Verwaltungsrechte entziehen "
                "oder sich deaktivieren."
            ),
            code="self_lockout",
        )
    new_name = _clean_name(name, "name", _("Name"))
    renamed = new_name != user.name
    user.name = new_name
    user.email, user.email_key = address, address.lower()
    user.organisation = _organisation_or_invalid(session, organisation_id)
    user.is_admin, user.is_active = bool(is_admin), bool(is_active)
    if not user.is_active:
        user.session_nonce = secrets.token_hex(8)
        for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    if renamed:  # feedback shows the name: cached reading views must not
        feedback_versions.bump_for_person(session, user.id)
    return user


def update_profile(
    session: Session,
    *,
    actor: User,
    name: str,
    locale: str | None = None,
    notify_replies: bool | None = None,
) -> User:
    """Name, language and (when given) whether to get an e-mail about replies.
    Raises Invalid (the name)."""
    new_name = _clean_name(name, "name", _("Name"))
    renamed = new_name != actor.name
    actor.name = new_name
    actor.locale = locale if locale in ("de", "en") else None
    if notify_replies is not None:
        actor.notify_replies = bool(notify_replies)
    session.flush()
    if renamed:  # feedback shows the name: cached reading views must not
        feedback_versions.bump_for_person(session, actor.id)
    return actor


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way). Raises nothing."""
    user = find_user_by_email(session, email or "")
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.is_active:
        return None
    user.last_login_at = utcnow()
    session.flush()
    return user


def change_password(session: Session, *, actor: User, current: str, new: str) -> None:
    """Raises Invalid when the current password is wrong or the new one too weak."""
    if actor.password_hash is None or not check_password_hash(actor.password_hash, current or ""):
        raise Invalid(
            _("Das bisherige Passwort stimmt nicht."),
            fields={"current_password": _("Stimmt nicht.")},
        )
    _set_password(actor, check_password_rules(new, email=actor.email, name=actor.name))
    session.flush()


def _set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)
    user.session_nonce = secrets.token_hex(8)


def end_sessions(session: Session, *, actor: User) -> None:
    """Log the user out everywhere (on logout): a new session nonce, so that every session
    and "remember me" cookie carrying the old login id stops working, copies included.
    API tokens stay valid (they are revoked on the profile page). Raises nothing."""
    actor.session_nonce = secrets.token_hex(8)
    session.flush()


# --- single-use links ----------------------------------------------------------------


def issue_one_time_token(session: Session, user: User, purpose: str, hours: int) -> str:
    """A new link token; earlier unused tokens of the same purpose stop working. Raises nothing."""
    now = utcnow()
    for old in session.scalars(
        select(OneTimeToken).where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    raw = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(raw),
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return raw


def check_one_time_token(
    session: Session, raw: str, *, now: datetime | None = None
) -> OneTimeToken:
    """The valid token row; raises NotFound for unknown, used or expired links."""
    row = session.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == _digest(raw or "")))
    now = now or utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.is_active:
        raise NotFound(
            _("Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie einen neuen an."),
            code="invalid_link",
        )
    return row


def redeem_one_time_token(session: Session, raw: str, new_password: str) -> User:
    """Set the password through an invitation or reset link, once. Raises NotFound (unknown, used or
    expired link), Invalid (the password)."""
    row = check_one_time_token(session, raw)
    check_password_rules(new_password, email=row.user.email, name=row.user.name)
    row.used_at = utcnow()
    _set_password(row.user, new_password)
    session.flush()
    return row.user


def send_invitation(session: Session, user: User) -> str:
    """E-mail the user a link to set their password; returns the raw token. Raises nothing."""
    hours = mail.settings().invitation_hours
    raw = issue_one_time_token(session, user, "invite", hours)
    mail.queue_template(session, user, "invite", token=raw, hours=hours)
    return raw


def reinvite_user(session: Session, user_id: int, *, actor: object) -> str:
    """A new invitation for an active user. Raises NotPermitted, NotFound, Conflict (inactive)."""
    user = access.get_user(session, user_id, actor=actor)
    if not user.is_active:
        raise Conflict(_("Diese Person ist deaktiviert."), code="inactive_user")
    return send_invitation(session, user)


def request_password_reset(session: Session, email: str) -> None:
    """Queue a reset link if the address belongs to an active user; silent otherwise.
    Raises nothing."""
    user = find_user_by_email(session, email or "")
    if user is None or not user.is_active:
        return
    hours = mail.settings().reset_hours
    raw = issue_one_time_token(session, user, "reset", hours)
    mail.queue_template(session, user, "reset", token=raw, hours=hours)


# --- API tokens ----------------------------------------------------------------------


def create_api_token(session: Session, *, actor: object, name: str | None) -> tuple[ApiToken, str]:
    """A new token for the actor; the raw token is returned once and never stored.
    Raises NotPermitted, Invalid (the name)."""
    permissions.require(permissions.can_manage_own_tokens(actor))
    assert isinstance(actor, User)
    label = _clean_name(name or "API-Token", "name", _("Bezeichnung"), textrules.TOKEN_NAME)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=label, token_hash=_digest(raw), prefix=raw[:10])
    session.add(token)
    session.flush()
    return token, raw


def list_api_tokens(session: Session, *, actor: User) -> list[ApiToken]:
    """The actor's API tokens, newest first. Raises nothing."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(session: Session, token_id: int, *, actor: object) -> ApiToken:
    """Revoke one of the actor's API tokens. Raises NotPermitted, NotFound (not theirs)."""
    permissions.require(permissions.can_manage_own_tokens(actor))
    token = session.get(ApiToken, token_id)
    if token is None or not isinstance(actor, User) or token.user_id != actor.id:
        raise NotFound(_("Dieses Token gibt es nicht."))
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def user_for_api_token(session: Session, raw: str) -> User | None:
    """The active owner of a valid, unrevoked token, or None. Raises nothing."""
    if not raw or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Also from reading requests: a small write beside the request's transaction.
        token_id = token.id
        write_aside(
            session,
            lambda target: target.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            ),
            what="the API token's last use",
        )
    return token.user
