"""Dates as the programme's cities read them (mapapp/formats/): English day before month
and on a 24-hour clock, so a deadline is never read as another month, and a sentence ending
in a time ends in one full stop; Polish short dates with dots, as typed back."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone, translation

from proposals.services.drafting import check_call_open

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, short, long",
    [
        ("en", "10/11/2026 14:05", "10 November 2026, 14:05"),
        ("pl", "10.11.2026 14:05", "10 listopada 2026 14:05"),
        ("cs", "10.11.2026 14:05", "10. listopadu 2026 14:05"),
    ],
)
def test_each_language_writes_the_tenth_of_november_day_first(language, short, long):
    when = datetime(2026, 11, 10, 14, 5)
    with translation.override(language):
        assert formats.date_format(when, "SHORT_DATETIME_FORMAT") == short
        assert formats.date_format(when, "DATETIME_FORMAT") == long
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1  # Monday


@pytest.mark.parametrize("language", ["en", "pl", "cs"])
def test_a_short_date_as_written_is_read_back(language):
    """What a page writes as a short date, a form of the same language reads as that day
    (Django's Polish wrote "10-11-2026", which its own input formats refuse)."""
    when = datetime(2026, 11, 10, 14, 5)
    with translation.override(language):
        day = formats.date_format(when, "SHORT_DATE_FORMAT")
        assert forms.DateField().clean(day) == when.date()
        written = formats.date_format(when, "SHORT_DATETIME_FORMAT")
        assert forms.DateTimeField().clean(written).replace(tzinfo=None) == when


def test_english_input_reads_day_first_or_iso_never_month_first():
    field = forms.DateField()
    with translation.override("en"):
        assert field.clean("10/11/2026") == date(2026, 11, 10)
        assert field.clean("2026-11-10") == date(2026, 11, 10)
        with pytest.raises(ValidationError):
            field.clean("11/30/2026")  # American: no 30th month


def test_a_closed_call_says_when_it_was_open_in_one_sentence(koszalin):
    from proposals.models import GrantCall

    call = GrantCall(
        city=koszalin, title={"en": "Spring"}, total_budget=1000, project_cap=100,
        opens_at=datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("UTC")),
        closes_at=datetime(2026, 4, 30, 21, 59, tzinfo=ZoneInfo("UTC")),
    )  # fmt: skip
    with (
        translation.override("en"),
        timezone.override(ZoneInfo("Europe/Warsaw")),
        pytest.raises(ValidationError) as refused,
    ):
        check_call_open(call)
    assert refused.value.messages == [
        "The call is not open: proposals are accepted from 01/03/2026 09:00 to 30/04/2026 23:59."
    ]


@pytest.mark.parametrize("language", ["en", "pl", "cs"])
def test_every_date_input_is_given_an_iso_date_in_every_language(language):
    """A browser's date input shows nothing for "10/11/2026" or "10.11.2026": each such
    widget writes its value as ISO, whatever the language's own date format."""
    from mapapp.forms import CityInformationForm
    from proposals.forms import DATETIME_WIDGETS
    from sites.forms import InterventionForm

    day = date(2026, 11, 10)
    with translation.override(language):
        intervention = InterventionForm(initial={"completed_on": day,
                                                 "sustainability_ends_on": day})  # fmt: skip
        html = str(intervention["completed_on"]) + str(intervention["sustainability_ends_on"])
        assert html.count('value="2026-11-10"') == 2, html
        info = CityInformationForm(initial={"accessibility_prepared_on": day})
        assert 'value="2026-11-10"' in str(info["accessibility_prepared_on"])
        when = datetime(2026, 11, 10, 14, 5)
        assert 'value="2026-11-10T14:05"' in DATETIME_WIDGETS["closes_at"].render("closes_at", when)
