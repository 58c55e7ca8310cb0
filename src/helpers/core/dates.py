"""The one parser of printed dates.

Papers print dates at different precisions: a year (``2021``), a month (``2021-06``, entered from
"June 2021") or a day (``2021-06-15``). :func:`parse_date` keeps the printed precision and gives
the first and the last day the printed date can mean, so that a check can read a window in the
paper's favour (or against it) and say which reading it used.

Example
-------
>>> d = parse_date("2022-02")
>>> d.precision, d.first.isoformat(), d.last.isoformat()
('month', '2022-02-01', '2022-02-28')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

__all__ = ["PrintedDate", "parse_date", "date_span", "date_edge"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class PrintedDate:
    """A printed date with its precision and the first and last day it can mean."""

    text: str
    precision: str          # "year", "month" or "day"
    first: date
    last: date

    @property
    def span(self) -> tuple[date, date]:
        return self.first, self.last

    def edge(self, which: str) -> date:
        """``"first"`` or ``"last"`` day of the printed period."""
        if which not in ("first", "last"):
            raise ValueError(f"edge must be 'first' or 'last', not '{which}'")
        return self.first if which == "first" else self.last


def parse_date(text) -> PrintedDate:
    """Parse a printed date ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    Parameters
    ----------
    text : str or datetime.date
        The date as entered in the ledger (a ``date`` is a day).

    Returns
    -------
    PrintedDate
        With ``precision`` ``"year"``, ``"month"`` or ``"day"`` and the first and last day of the
        printed period (equal for a day).

    Raises
    ------
    ValueError
        When ``text`` is not of one of the three forms or names no real day (month 13,
        February 30).

    Example
    -------
    >>> parse_date("2020").last.isoformat()
    '2020-12-31'
    """
    if isinstance(text, date):
        return PrintedDate(text.isoformat(), "day", text, text)
    t = "" if text is None else str(text).strip()
    m = _DATE.match(t)
    if not m:
        raise ValueError(f"'{text}' is not a YYYY, YYYY-MM or YYYY-MM-DD date")
    y = int(m.group(1))
    try:
        if m.group(2) is None:
            return PrintedDate(t, "year", date(y, 1, 1), date(y, 12, 31))
        mo = int(m.group(2))
        if m.group(3) is None:
            return PrintedDate(t, "month", date(y, mo, 1),
                               date(y, mo, calendar.monthrange(y, mo)[1]))
        d = date(y, mo, int(m.group(3)))
    except (ValueError, calendar.IllegalMonthError) as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from None
    return PrintedDate(t, "day", d, d)


def date_span(text) -> tuple[date, date]:
    """The first and last day a printed date can mean (``2022-10`` -> Oct 1 .. Oct 31)."""
    return parse_date(text).span


def date_edge(text, edge: str = "first") -> date:
    """The ``first`` or ``last`` day a printed date can mean."""
    return parse_date(text).edge(edge)
