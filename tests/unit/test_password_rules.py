"""The password rules (services.passwords.check_password_rules): which passwords pass, which
are refused and with what reason, and the shipped list of common passwords."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from flask_babel import force_locale

import consult
from consult import create_app
from consult.demo import DEMO_USERS
from consult.errors import Invalid
from consult.services import passwords
from tests.conftest import PASSWORD, make_settings

EMAIL = "mia.muster@example.org"
NAME = "Mia Müller"

#: The reasons: (a part of the message, a part of the message at the form's field).
COMMON = ("Liste häufig verwendeter Passwörter", "Liste häufig verwendeter Passwörter")
KEYBOARD = ("ist (größtenteils) eine Tastaturfolge", "Tastaturfolge wie „qwertz“")
SEQUENCE = ("Folge wie „abcdef“ oder „123456“", "Folge wie „abcdef“ oder „123456“")
REPEATED = ("wiederholt (größtenteils) Zeichen oder Silben", "Wiederholt Zeichen oder Silben")
ADDRESS = ("enthält Ihre E-Mail-Adresse", "Enthält Ihre E-Mail-Adresse")
OWN_NAME = ("enthält Ihren Namen", "Enthält Ihren Namen")
SHORT = ("mindestens 10 Zeichen", "Mindestens 10 Zeichen")
SIMPLE = ("zu einfach", "verschiedene Zeichen")
IS_ADDRESS = ("nicht die E-Mail-Adresse sein", "Nicht die E-Mail-Adresse")

REFUSED = [
    # the list, also with digits and signs around it, leetspeak or capitals
    ("passwort123", COMMON),
    ("qwertzuiop", COMMON),
    ("ichliebedich", COMMON),
    ("Passwort-2024!", COMMON),
    ("P@ssw0rt123", COMMON),
    ("Sommer2024!", COMMON),
    ("2024-Willkommen", COMMON),
    ("FUSSBALL1234", COMMON),
    ("schalke04!!", COMMON),
    # keyboard runs, forwards and backwards, rows and columns, German and English layouts
    ("yxcvbnmasdfghjkl", KEYBOARD),
    ("poiuztrewq#", KEYBOARD),
    ("1qay2wsx3edc4rfv", KEYBOARD),
    ("mnbvcxy-lkjhg", KEYBOARD),
    ("ölkjhgfdsa!", KEYBOARD),
    # runs of letters or digits
    ("abcdefghijkl", SEQUENCE),
    ("98765432109", SEQUENCE),
    ("123456789012", SEQUENCE),
    ("Igel1234567890", SEQUENCE),
    ("lmnopqrstuvw", SEQUENCE),
    # repetitions: of one character, of a syllable, of a word
    ("hihihihihi12", REPEATED),
    ("Katze-Katze-Katze", REPEATED),
    ("xy!xy!xy!xy!z", REPEATED),
    ("Tee-Zeit!!!!!!!!", REPEATED),
    # the person: the address or its parts, the name (also without umlauts), little else
    ("mia.muster2024", ADDRESS),
    ("Muster-Mia-99", ADDRESS),
    ("MIA.MUSTER@example.org!", ADDRESS),
    ("Müller-2024!x", OWN_NAME),
    ("Mueller-2024!x", OWN_NAME),
    # the older rules
    ("mia.muster@example.org", IS_ADDRESS),
    ("kurz-1", SHORT),
    ("aaaaaaaaaaaa", SIMPLE),
    ("abababababab", SIMPLE),
]

ACCEPTED = [
    PASSWORD,  # the test suite's
    "Sommer-im-Siegtal",
    "Tr0ub4dor&3-Pferd",
    "correct horse battery staple",
    "Kaffee-Fahrrad-Wolke",
    "Hund-Katze-2024",
    "Treppenhaus-77",  # "tre" is three keys in a row only: runs count from four
    "Werkstatt-Tür-9",
    "Feder-Kiel-2020",
    "Ganz-Neues-Passwort-7",  # a listed word inside a longer password is fine
    "Mia-liest-gern-Krimis",  # the name, and ten more characters without it
    "asdf-Haus-Baum-Weg-7",
    "Ağabey-Çay-İstanbul",
    "Ключ-от-дома-7",
    "كلمة-سر-طويلة-جدا",
]


@pytest.mark.parametrize(("password", "reason"), REFUSED)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: tuple[str, str]) -> None:
    with pytest.raises(Invalid) as info:
        passwords.check_password_rules(password, email=EMAIL, name=NAME)
    error = info.value
    message, field = reason
    assert message in error.message
    assert error.code == "invalid"
    # The form shows the field's message alone: it names the reason as well.
    assert error.fields.keys() == {"password"}
    assert field in error.fields["password"]


@pytest.mark.parametrize("password", ACCEPTED)
def test_good_passwords_pass(password: str) -> None:
    assert passwords.check_password_rules(password, email=EMAIL, name=NAME) == password


def test_the_person_counts_only_where_it_is_known() -> None:
    """The same password is fine for someone else: only the person's own address and
    name are left out of its length."""
    with pytest.raises(Invalid):
        passwords.check_password_rules("Mueller-2024!x", email=EMAIL, name=NAME)
    assert passwords.check_password_rules("Mueller-2024!x", email="ab@example.org", name="Ab")
    assert passwords.check_password_rules("Mueller-2024!x")


def test_the_reason_is_translated(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, "sqlite://"))
    with app.app_context(), force_locale("en_GB"), pytest.raises(Invalid) as info:
        passwords.check_password_rules("passwort123", email=EMAIL)
    assert "list of commonly used passwords" in info.value.message
    assert "list of commonly used passwords" in info.value.fields["password"]


@pytest.mark.parametrize(
    ("email", "name", "password"), [(u[1], u[2], u[6]) for u in DEMO_USERS], ids=lambda v: v
)
def test_the_demo_logins_pass(email: str, name: str, password: str) -> None:
    assert passwords.check_password_rules(password, email=email, name=name) == password


def test_the_list_is_shipped_lower_case_sorted_and_without_doubles() -> None:
    path = Path(consult.__file__).parent / passwords.COMMON_PASSWORDS_FILE
    lines = [line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")]
    assert len(lines) > 2000
    assert lines == sorted(set(lines))
    assert all(line == line.strip().lower() and len(line) >= 4 for line in lines)
    assert {"passwort", "qwertz", "hallo123", "ichliebedich", "123456789"} <= set(lines)
    assert passwords.common_passwords() == frozenset(lines)
    pyproject = tomllib.loads((path.parents[1] / "pyproject.toml").read_text("utf-8"))
    assert (
        passwords.COMMON_PASSWORDS_FILE
        in pyproject["tool"]["setuptools"]["package-data"]["consult"]
    )
