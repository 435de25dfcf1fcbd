"""Dates and times, one way everywhere (consult.dates, issue 10 item 1): "24.12.2026, 07:20 Uhr",
"Do., 24.12.2026", "noch 3 Tage"; English "24 Dec 2026, 07:20". Always Europe/Berlin, never
seconds, never a zone name; midnight, the changes to and from summer time and the turn of
the year land on the Berlin day."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from hypothesis import given
from hypothesis import strategies as st

from consult import dates

BERLIN = ZoneInfo("Europe/Berlin")
#: Christmas Eve 2026, 07:20:42 in Berlin (winter time: UTC+1).
EVE = datetime(2026, 12, 24, 6, 20, 42, tzinfo=UTC)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def app() -> Flask:
    """A bare app with the consult catalogs (the same root path as consult.create_app)."""
    app = Flask("consult")
    Babel(app)
    return app


def in_language(app: Flask, code: str) -> Iterator[None]:
    with app.app_context(), force_locale(dates._BABEL_LOCALES[code]):
        yield


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    yield from in_language(app, "en")


@pytest.fixture
def german(app: Flask) -> Iterator[None]:
    yield from in_language(app, "de")


# --- points in time and days ----------------------------------------------------------


def test_a_point_in_time() -> None:
    assert dates.moment(EVE, "de") == "24.12.2026, 07:20 Uhr"
    assert dates.moment(EVE, "en") == "24 Dec 2026, 07:20"


def test_with_the_weekday() -> None:
    assert dates.moment(EVE, "de", weekday=True) == "Do., 24.12.2026, 07:20 Uhr"
    assert dates.moment(EVE, "en", weekday=True) == "Thu, 24 Dec 2026, 07:20"
    assert dates.day(EVE, "de", weekday=True) == "Do., 24.12.2026"
    assert dates.day(EVE, "en", weekday=True) == "Thu, 24 Dec 2026"


def test_a_day() -> None:
    assert dates.day(EVE, "de") == "24.12.2026"
    assert dates.day(EVE, "en") == "24 Dec 2026"
    # single-digit days and months: zero-padded in German, not in English
    early = berlin(2027, 3, 5, 9, 0)
    assert dates.day(early, "de") == "05.03.2027"
    assert dates.day(early, "en") == "5 Mar 2027"


def test_the_current_interface_language_is_used(app: Flask) -> None:
    assert dates.moment(EVE) == "24.12.2026, 07:20 Uhr"  # no app: German
    with app.app_context(), force_locale("en_GB"):
        assert dates.moment(EVE) == "24 Dec 2026, 07:20"
        assert dates.day(EVE) == "24 Dec 2026"
    with app.app_context(), force_locale("de_DE"):
        assert dates.moment(EVE) == "24.12.2026, 07:20 Uhr"


def test_nothing_is_a_dash() -> None:
    assert dates.moment(None, "de") == "–"
    assert dates.day(None, "en") == "–"


def test_a_naive_time_is_utc() -> None:
    assert dates.moment(EVE.replace(tzinfo=None), "de") == "24.12.2026, 07:20 Uhr"


def test_any_zone_is_shown_in_berlin() -> None:
    new_york = EVE.astimezone(ZoneInfo("America/New_York"))
    assert dates.moment(new_york, "de") == "24.12.2026, 07:20 Uhr"


def test_midnight_belongs_to_the_new_day() -> None:
    midnight = datetime(2026, 12, 24, 23, 0, tzinfo=UTC)  # 00:00 on the 25th in Berlin
    assert dates.moment(midnight, "de") == "25.12.2026, 00:00 Uhr"
    assert dates.moment(midnight, "en") == "25 Dec 2026, 00:00"
    assert dates.day(midnight, "de", weekday=True) == "Fr., 25.12.2026"
    before = midnight - timedelta(minutes=1)
    assert dates.moment(before, "de") == "24.12.2026, 23:59 Uhr"
    # in summer, midnight in Berlin is 22:00 UTC
    assert dates.day(datetime(2026, 7, 31, 22, 0, tzinfo=UTC), "de") == "01.08.2026"
    assert dates.day(datetime(2026, 7, 31, 21, 59, tzinfo=UTC), "de") == "31.07.2026"


def test_the_turn_of_the_year() -> None:
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert dates.moment(new_year, "de") == "01.01.2027, 00:30 Uhr"
    assert dates.moment(new_year, "en") == "1 Jan 2027, 00:30"
    assert dates.day(new_year, "de", weekday=True) == "Fr., 01.01.2027"
    assert dates.day(new_year, "en", weekday=True) == "Fri, 1 Jan 2027"
    assert dates.day(new_year - timedelta(hours=1), "de") == "31.12.2026"


def test_the_change_to_summer_time() -> None:
    # 29 March 2026: at 02:00 the clocks jump to 03:00.
    assert dates.moment(datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "de") == "29.03.2026, 01:59 Uhr"
    assert dates.moment(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "de") == "29.03.2026, 03:00 Uhr"
    assert dates.moment(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "en") == "29 Mar 2026, 03:00"


def test_the_change_to_winter_time() -> None:
    # 25 October 2026: at 03:00 the clocks go back to 02:00; 02:30 happens twice.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert dates.moment(first, "de") == dates.moment(second, "de") == "25.10.2026, 02:30 Uhr"
    assert dates.moment(datetime(2026, 10, 25, 2, 0, tzinfo=UTC), "de") == "25.10.2026, 03:00 Uhr"


def test_every_month_and_weekday_in_english() -> None:
    months = [dates.day(datetime(2026, m, 15, 12, tzinfo=UTC), "en") for m in range(1, 13)]
    assert [m.split()[1] for m in months] == [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"
    ]  # fmt: skip
    week = [dates.day(berlin(2026, 12, 21 + n, 12), "de", weekday=True) for n in range(7)]
    assert [w.split(",")[0] for w in week] == ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."]


GERMAN = re.compile(r"^(?:(?:Mo|Di|Mi|Do|Fr|Sa|So)\., )?\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr$")
ENGLISH = re.compile(
    r"^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}$"
)


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.booleans(),
)
def test_never_seconds_never_a_zone_name(value: datetime, weekday: bool) -> None:
    german = dates.moment(value, "de", weekday=weekday)
    english = dates.moment(value, "en", weekday=weekday)
    assert GERMAN.match(german), german
    assert ENGLISH.match(english), english
    local = value.astimezone(BERLIN)
    assert german.endswith(f"{local:%d.%m.%Y, %H:%M} Uhr")


# --- how long until ---------------------------------------------------------------------

NOW = berlin(2026, 12, 10, 12, 0)


@pytest.mark.parametrize(
    ("delta", "german", "english"),
    [
        (timedelta(days=3), "noch 3 Tage", "3 days left"),
        (timedelta(days=3, hours=23), "noch 3 Tage", "3 days left"),  # never more than there is
        (timedelta(days=2), "noch 2 Tage", "2 days left"),
        (timedelta(days=1), "noch 1 Tag", "1 day left"),
        (timedelta(days=1, hours=20), "noch 1 Tag", "1 day left"),
        (timedelta(hours=23, minutes=59), "noch 23 Stunden", "23 hours left"),
        (timedelta(hours=5), "noch 5 Stunden", "5 hours left"),
        (timedelta(hours=5, minutes=59), "noch 5 Stunden", "5 hours left"),
        (timedelta(hours=1), "noch 1 Stunde", "1 hour left"),
        (timedelta(minutes=59), "noch 59 Minuten", "59 minutes left"),
        (timedelta(minutes=1), "noch 1 Minute", "1 minute left"),
        (timedelta(seconds=20), "noch 1 Minute", "1 minute left"),
        (timedelta(0), "abgelaufen", "expired"),
        (-timedelta(days=2), "abgelaufen", "expired"),
        (timedelta(days=400), "noch 400 Tage", "400 days left"),
    ],
)
def test_time_left(app: Flask, delta: timedelta, german: str, english: str) -> None:
    with app.app_context(), force_locale("de_DE"):
        assert dates.time_left(NOW + delta, NOW) == german
    with app.app_context(), force_locale("en_GB"):
        assert dates.time_left(NOW + delta, NOW) == english


@pytest.mark.parametrize(
    ("delta", "german", "english"),
    [
        (timedelta(days=3), "in 3 Tagen", "in 3 days"),
        (timedelta(days=1), "in 1 Tag", "in 1 day"),
        (timedelta(hours=5), "in 5 Stunden", "in 5 hours"),
        (timedelta(hours=1), "in 1 Stunde", "in 1 hour"),
        (timedelta(minutes=1), "in 1 Minute", "in 1 minute"),
        (timedelta(minutes=30), "in 30 Minuten", "in 30 minutes"),
        (timedelta(0), "jetzt", "now"),
    ],
)
def test_time_until(app: Flask, delta: timedelta, german: str, english: str) -> None:
    with app.app_context(), force_locale("de_DE"):
        assert dates.time_until(NOW + delta, NOW) == german
    with app.app_context(), force_locale("en_GB"):
        assert dates.time_until(NOW + delta, NOW) == english


def test_days_count_the_calendar_across_summer_time(german: None) -> None:
    # Saturday 12:00 to Sunday 12:00 over the change to summer time: 23 real hours,
    # but the deadline is "tomorrow at the same time".
    saturday, sunday = berlin(2026, 3, 28, 12, 0), berlin(2026, 3, 29, 12, 0)
    assert sunday.astimezone(UTC) - saturday.astimezone(UTC) == timedelta(hours=23)
    assert dates.time_left(sunday, saturday) == "noch 1 Tag"
    # and back to winter time: 25 real hours are one day as well
    saturday, sunday = berlin(2026, 10, 24, 12, 0), berlin(2026, 10, 25, 12, 0)
    assert sunday.astimezone(UTC) - saturday.astimezone(UTC) == timedelta(hours=25)
    assert dates.time_left(sunday, saturday) == "noch 1 Tag"


def test_hours_are_real_hours_across_summer_time(german: None) -> None:
    # From 00:00 to 05:00 on the night the clocks jump: 4 hours pass.
    start, end = berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 29, 5, 0)
    assert dates.time_left(end, start) == "noch 4 Stunden"
    # The night they go back: 6 hours pass from 00:00 to 05:00.
    start, end = berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 25, 5, 0)
    assert dates.time_left(end, start) == "noch 6 Stunden"


def test_time_left_over_the_turn_of_the_year(english: None) -> None:
    assert dates.time_left(berlin(2027, 1, 2, 9, 0), berlin(2026, 12, 30, 9, 0)) == "3 days left"


def test_naive_times_are_utc(german: None) -> None:
    until = datetime(2026, 12, 13, 11, 0)  # naive: UTC, i.e. 12:00 in Berlin
    assert dates.time_left(until, NOW) == "noch 3 Tage"
    assert dates.time_until(until, NOW) == "in 3 Tagen"


def test_the_filters_are_the_same_functions(app: Flask) -> None:
    from consult.web import filters

    with app.app_context(), force_locale("de_DE"):
        assert filters.weekday_moment(EVE) == "Do., 24.12.2026, 07:20 Uhr"
        assert filters.weekday_day(EVE) == "Do., 24.12.2026"
