"""core.dates: printed dates keep their precision and give the first and last day they mean."""

from datetime import date

import pytest

from helpers.core.dates import date_edge, date_span, parse_date


def test_year_month_and_day_precisions():
    y = parse_date("2019")
    assert (y.precision, y.first, y.last) == ("year", date(2019, 1, 1), date(2019, 12, 31))
    m = parse_date(" 2021-04 ")
    assert (m.precision, m.first, m.last) == ("month", date(2021, 4, 1), date(2021, 4, 30))
    d = parse_date("2021-04-17")
    assert (d.precision, d.first, d.last) == ("day", date(2021, 4, 17), date(2021, 4, 17))


def test_month_ends_and_leap_years():
    assert date_span("2024-02")[1] == date(2024, 2, 29)
    assert date_span("2023-02")[1] == date(2023, 2, 28)
    assert date_span("2023-12")[1] == date(2023, 12, 31)


def test_edges():
    assert date_edge("2018-07", "first") == date(2018, 7, 1)
    assert date_edge("2018-07", "last") == date(2018, 7, 31)
    with pytest.raises(ValueError):
        parse_date("2018-07").edge("middle")


@pytest.mark.parametrize("text", ["July 2018", "2018-13", "2018-02-30", "18-07", "", None,
                                  "2018/07", "2018-7"])
def test_rejects_what_is_not_a_printed_date(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_design_uses_the_one_parser():
    from helpers.checks import design
    from helpers.core import dates

    assert design.date_span is dates.date_span
