"""Amounts as people type them (mapapp.amounts): the budget lines, expenses and the granted
amount all read money this way, and the editor's running total mirrors it."""

from decimal import Decimal

import pytest
from django.utils import translation

from mapapp.amounts import AmountError, parse_amount


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1250", "1250"),
        ("1250,50", "1250.50"),
        ("1250.50", "1250.50"),
        ("1 250,50", "1250.50"),
        ("1\u00a0250,50", "1250.50"),  # no-break space, as copied from a document
        ("1\u202f250,50", "1250.50"),  # narrow no-break space (French-style grouping)
        ("1,250.50", "1250.50"),
        ("1.250,50", "1250.50"),
        ("1'250.50", "1250.50"),
        ("1,000,000", "1000000"),
        ("1.000.000,25", "1000000.25"),
        ("12 000 Kč", "12000"),
        ("12000 zł", "12000"),
        ("5 €", "5"),
        ("0,5", "0.5"),
        (" 42 ", "42"),
        (Decimal("1.500"), "1.5"),  # from code: a number, not text
        (7, "7"),
    ],
)
def test_amounts_people_type(typed, amount):
    assert parse_amount(typed) == Decimal(amount)


@pytest.mark.parametrize("typed", ["1.500", "2,000", "0,125"])
def test_an_amount_that_reads_two_ways_is_refused_not_guessed(typed):
    with pytest.raises(AmountError) as exc:
        parse_amount(typed)
    assert exc.value.ambiguous
    assert "can be read two ways" in exc.value.message


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "12a", "1,2,3", "1.2.3", "1,00.50", "1.000,50.25", "€ 5", "1,5,000", "NaN",
     "Infinity", "12.345", "1e5", Decimal("0.001")],
)  # fmt: skip
def test_what_is_not_an_amount(typed):
    with pytest.raises(AmountError):
        parse_amount(typed)


def test_the_message_is_in_the_readers_language():
    with translation.override("cs"):
        message = AmountError("12a").message
    assert "12a" in message and "is not an amount" not in message


@pytest.mark.parametrize("language", ["pl", "cs", "en"])
def test_a_past_projects_cost_and_hours_are_read_as_typed(language):
    """The officers' form for a completed project (sites.forms.InterventionForm) reads its
    cost as any amount and its hours with the language's decimal comma, and shows the cost
    back as the language writes it."""
    from sites.forms import InterventionForm

    data = {"title": "Ławki", "category": "seating", "completed_on": "2025-06-01",
            "cost": "12 500,50 zł", "volunteer_hours": "12,5" if language != "en" else "12.5",
            "latitude": "54.19", "longitude": "16.18"}  # fmt: skip
    with translation.override(language):
        form = InterventionForm(data)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["cost"] == Decimal("12500.50")
        assert form.cleaned_data["volunteer_hours"] == Decimal("12.5")
        shown = str(InterventionForm(initial={"cost": Decimal("12500.50")})["cost"])
        assert f'value="12500{"." if language == "en" else ","}50"' in shown
        refused = InterventionForm({**data, "cost": "1.500"})
        assert not refused.is_valid() and "1.500" in refused.errors["cost"][0]
