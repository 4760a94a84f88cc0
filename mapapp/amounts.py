"""Amounts of money as people type them, in Polish, Czech or English habits.

"1 250,50", "1250.50", "1,250.50", "1.250,50", "12 000 Kč" and "12000 zł" are all read; an
amount that could mean two things ("1.500": one and a half, or fifteen hundred?) is refused
rather than guessed, and so is anything with more than two decimal places. Used by every
form field that takes money (budget lines, expenses, the granted amount, a call's budget and
cap, a past project's cost: AmountField), so they agree."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

UNREADABLE = _("“%(value)s” is not an amount: write it like 1250 or 1250,50.")
AMBIGUOUS = _(
    "“%(value)s” can be read two ways: write it without a thousands separator, like 1500 or "
    "1500,00."
)

# spaces people and word processors put between thousands: space, no-break, narrow no-break,
# thin; and the apostrophe some keyboards use
_GROUPING_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_CURRENCY = re.compile(r"(kč|czk|zł|pln|€|eur)\.?$", re.IGNORECASE)
_SHAPE = re.compile(r"^[-+]?[\d.,]+$")


class AmountError(ValueError):
    """The text is not an amount (`ambiguous`: it could be read two ways)."""

    def __init__(self, text: str, ambiguous: bool = False):
        super().__init__(text)
        self.text, self.ambiguous = text, ambiguous

    @property
    def message(self) -> str:
        """What to tell the person, in the active language."""
        return str(AMBIGUOUS if self.ambiguous else UNREADABLE) % {"value": self.text[:40]}


def _ungroup(text: str, separator: str, raw: str) -> str:
    """ "12.345.678" -> "12345678", refusing groups that are not thousands."""
    head, *groups = text.split(separator)
    if not 1 <= len(head.lstrip("+-")) <= 3 or any(len(g) != 3 for g in groups):
        raise AmountError(raw)
    return head + "".join(groups)


def parse_amount(value) -> Decimal:
    """The amount in `value` (a str, int or Decimal), with at most two decimal places."""
    if isinstance(value, (int, Decimal)):  # from code, not typed: only the places matter
        amount = Decimal(value)
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise AmountError(str(value))
        return amount
    text = raw = str(value or "").strip()
    text = _CURRENCY.sub("", text).strip()
    text = _GROUPING_SPACES.sub("", text)
    if not text or not _SHAPE.match(text) or not any(c.isdigit() for c in text):
        raise AmountError(raw)
    separators = [i for i, c in enumerate(text) if c in ",."]
    if separators:
        last = separators[-1]
        if len({text[i] for i in separators}) == 2:
            # both: the last one is the decimal separator, the other groups thousands
            point = text[last]
            integer, decimals = text[:last], text[last + 1 :]
            if point in integer:
                raise AmountError(raw)
            text = _ungroup(integer, "," if point == "." else ".", raw) + "." + decimals
        elif len(separators) > 1:
            # one kind, several times: thousands ("1,000,000" or "1.000.000")
            text = _ungroup(text, text[last], raw)
        elif len(text) - last - 1 == 3:
            raise AmountError(raw, ambiguous=True)  # "1.500", "2,000"
        else:
            text = text[:last] + "." + text[last + 1 :]
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise AmountError(raw) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise AmountError(raw)
    return amount


class AmountField(forms.DecimalField):
    """A form's DecimalField for money that reads amounts as parse_amount does ("500 000,00",
    "12 000 Kč", "1,250.50") and shows its value as the page's language writes it (500000,00
    in Polish and Czech), in a text box: a browser's number box refuses the spaces and the
    other separator before the server can say anything."""

    def __init__(self, **kwargs):
        kwargs["localize"] = True
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_amount(value)
        except AmountError as error:
            raise ValidationError(error.message, code="invalid") from None
