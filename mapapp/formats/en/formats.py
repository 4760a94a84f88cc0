"""English as the programme's cities read it: day before month, Monday first, a 24-hour
clock (British English's formats, whose clock is "2:14 p.m."). Django's own `en` is
American: "11/10/2026" is a deadline in October to a reader in Koszalin or Ostrava, and a
sentence ending in a time ended in "p.m..". Input takes day/month/year and ISO dates, never
month/day."""

from django.conf.locale.en_GB.formats import (  # noqa: F401
    DATE_INPUT_FORMATS,
    DATETIME_INPUT_FORMATS,
    DECIMAL_SEPARATOR,
    NUMBER_GROUPING,
    THOUSAND_SEPARATOR,
    YEAR_MONTH_FORMAT,
)

DATE_FORMAT = "j F Y"  # 27 November 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
