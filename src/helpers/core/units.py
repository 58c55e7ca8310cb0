"""Time units: days per unit, one definition for every module (a month is 365.25/12 days)."""

DAYS_PER_UNIT = {"days": 1.0, "day": 1.0, "weeks": 7.0, "week": 7.0,
                 "months": 365.25 / 12, "month": 365.25 / 12, "years": 365.25, "year": 365.25}
DAYS_PER_MONTH = DAYS_PER_UNIT["months"]
