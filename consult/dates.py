"""Dates and times as people read them, one way everywhere (pages, e-mails, exports).

Every time is shown in Europe/Berlin, without seconds and without a zone name:

- a point in time (:func:`moment`): "24.12.2026, 07:20 Uhr" / "24 Dec 2026, 07:20";
  with the weekday, where it helps (deadlines): "Do., 24.12.2026, 07:20 Uhr" /
  "Thu, 24 Dec 2026, 07:20";
- a day (:func:`day`): "24.12.2026" / "24 Dec 2026"; "Do., 24.12.2026" with the weekday;
- how long until a deadline (:func:`time_left`): "noch 3 Tage", "noch 5 Stunden",
  "abgelaufen" / "3 days left", "5 hours left", "expired";
- how long until a start (:func:`time_until`): "in 3 Tagen" / "in 3 days".

The functions take the interface language ("de", "en") or use the current one (the
request's, or the one ``flask_babel.force_locale`` sets, as for e-mails); outside an app
context they speak German.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

#: The time zone of every time shown (the deadlines are German ones).
BERLIN = ZoneInfo("Europe/Berlin")
#: The Babel locale per interface language (as consult.extensions.LOCALES).
_BABEL_LOCALES = {"de": "de_DE", "en": "en_GB"}
#: Shown for a missing time (a token never used, say).
MISSING = "–"


def language() -> str:
    """The current interface language: "de" or "en" (German outside a request)."""
    locale = get_locale()  # None outside an app context
    code = locale.language if locale is not None else "de"
    return code if code in _BABEL_LOCALES else "de"


@functools.cache
def _names(lang: str) -> tuple[dict[int, str], dict[int, str]]:
    """The abbreviated month (1-12) and weekday (0 = Monday) names of the language, from
    the CLDR data: "Dez."/"Dec", "Do."/"Thu". (Looked up once: formatting itself is a few
    string joins, as the reading view's threads show thousands of times.)"""
    locale = _BABEL_LOCALES[lang]
    months = dict(get_month_names("abbreviated", locale=locale).items())
    weekdays = dict(get_day_names("abbreviated", locale=locale).items())
    return months, weekdays


def _berlin(value: datetime) -> datetime:
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BERLIN)


def _day(local: datetime, lang: str, weekday: bool) -> str:
    months, weekdays = _names(lang)
    if lang == "de":
        text = f"{local:%d.%m.%Y}"
    else:
        text = f"{local.day} {months[local.month]} {local.year}"
    return f"{weekdays[local.weekday()]}, {text}" if weekday else text


def moment(value: datetime | None, lang: str | None = None, *, weekday: bool = False) -> str:
    """A point in time: "24.12.2026, 07:20 Uhr" ("Do., 24.12.2026, 07:20 Uhr" with the
    weekday); English "24 Dec 2026, 07:20". "–" for None."""
    if value is None:
        return MISSING
    lang = lang if lang in _BABEL_LOCALES else language()
    local = _berlin(value)
    return f"{_day(local, lang, weekday)}, {_clock(local, lang)}"


def _clock(local: datetime, lang: str) -> str:
    return f"{local:%H:%M} Uhr" if lang == "de" else f"{local:%H:%M}"


def until(deadline: datetime, now: datetime | None = None) -> str:
    """Until when: "bis Do., 24.12.2026, 18:00 Uhr", or "heute bis 18:00 Uhr" on the
    deadline's own day (in Berlin)."""
    lang = language()
    if day(deadline) == day(now or datetime.now(UTC)):
        return str(_("heute bis %(time)s", time=_clock(_berlin(deadline), lang)))
    return str(_("bis %(deadline)s", deadline=moment(deadline, lang, weekday=True)))


def day(value: datetime | None, lang: str | None = None, *, weekday: bool = False) -> str:
    """The day (in Berlin) of a point in time: "24.12.2026" ("Do., 24.12.2026");
    English "24 Dec 2026". "–" for None."""
    if value is None:
        return MISSING
    lang = lang if lang in _BABEL_LOCALES else language()
    return _day(_berlin(value), lang, weekday)


def _utc(value: datetime) -> datetime:
    """The time in UTC (a naive one is taken to be UTC, as stored)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _local(value: datetime) -> datetime:
    """The wall-clock time in Berlin (naive), to count calendar days across DST changes."""
    return _berlin(value).replace(tzinfo=None)


def _span(until: datetime, now: datetime) -> tuple[str, int]:
    """("days" | "hours" | "minutes", count) from ``now`` to ``until`` (which is later),
    rounded down: never more time than there is. Days count the wall clock in Berlin (a
    deadline at 12:00 tomorrow is "1 day" away also across a change to or from summer
    time); hours and minutes are real ones."""
    calendar = _local(until) - _local(now)
    if calendar >= timedelta(days=1):
        return "days", calendar.days
    real = until - now  # both in UTC: real time (within one zone, Python counts wall time)
    if real >= timedelta(hours=1):
        return "hours", int(real.total_seconds() // 3600)
    return "minutes", max(1, int(real.total_seconds() // 60))


def time_left(until: datetime, now: datetime | None = None) -> str:
    """How long until a deadline: "noch 3 Tage", "noch 1 Tag", "noch 5 Stunden",
    "noch 1 Minute"; "abgelaufen" once it has passed."""
    until, now = _utc(until), _utc(now or datetime.now(UTC))
    if until <= now:
        return str(_("abgelaufen"))
    unit, n = _span(until, now)
    if unit == "days":
        return str(ngettext("noch %(num)s Tag", "noch %(num)s Tage", n))
    if unit == "hours":
        return str(ngettext("noch %(num)s Stunde", "noch %(num)s Stunden", n))
    return str(ngettext("noch %(num)s Minute", "noch %(num)s Minuten", n))


def time_until(when: datetime, now: datetime | None = None) -> str:
    """How long until a start: "in 3 Tagen", "in 1 Tag", "in 5 Stunden"; "jetzt" once
    it has come."""
    when, now = _utc(when), _utc(now or datetime.now(UTC))
    if when <= now:
        return str(_("jetzt"))
    unit, n = _span(when, now)
    if unit == "days":
        return str(ngettext("in %(num)s Tag", "in %(num)s Tagen", n))
    if unit == "hours":
        return str(ngettext("in %(num)s Stunde", "in %(num)s Stunden", n))
    return str(ngettext("in %(num)s Minute", "in %(num)s Minuten", n))
