"""Password rules: long enough once what is guessable is left out, not on the list.

Every path that sets a password (the invitation and reset links, the profile, the API
and the CLI through accounts.create_user) checks it here: at least MIN_PASSWORD_LENGTH
characters once keyboard and alphabet runs, repeats and the person's e-mail address and
name are left out, and not one of the common passwords (consult/common_passwords.txt,
also with digits or symbols around it, separators removed or leetspeak undone).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from flask_babel import gettext as _

from consult.errors import Invalid

MIN_PASSWORD_LENGTH = 10

MAX_PASSWORD_LENGTH = 256

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
