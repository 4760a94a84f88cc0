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
