"""Template helpers: money in the city's currency, formatted for the current language; QR codes."""

from decimal import Decimal

from django import template
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

SYMBOLS = {
    "pl": {"PLN": "zł", "CZK": "Kč", "EUR": "€"},
    "cs": {"PLN": "zł", "CZK": "Kč", "EUR": "€"},
}


@register.filter
def money(amount, currency) -> str:
    """1234.5, "PLN" -> "1 234,50 zł" in Polish, "1,234.50 PLN" in English.

    `currency` is a currency code or anything with a `.currency` (a City)."""
    if amount in (None, ""):
        return ""
    code = getattr(currency, "currency", currency) or ""
    language = (get_language() or "en")[:2]
    number = numberformat.format(
        Decimal(amount),
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=2,
        grouping=3,
        # the language's own grouping (Django's formats), never broken across lines
        thousand_sep=get_format("THOUSAND_SEPARATOR").replace(" ", "\u00a0"),
        force_grouping=True,
    )
    symbol = SYMBOLS.get(language, {}).get(code, code)
    return f"{number}\u00a0{symbol}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def basename(path) -> str:
    return str(path).rsplit("/", 1)[-1]


@register.simple_tag(takes_context=True)
def objection_of(context, target):
    """The signed-in person's objection to hiding this content (mapapp.flags.objection_of):
    open, dismissed, or None."""
    from mapapp.flags import objection_of as find

    return find(user=context.get("user"), target=target)


@register.simple_tag(takes_context=True)
def keep_typed_config(context):
    """What keep_typed.js reads: its words (what was typed and not saved, offered back) in
    the page's language, and whose forms they are: what one person typed is never offered
    to another who signs in later in the same browser tab (an opaque tag of the account,
    not its id)."""
    from django.utils.crypto import salted_hmac
    from django.utils.html import json_script
    from django.utils.translation import gettext as _

    user = context.get("user")
    scope = (
        salted_hmac("keep-typed", str(user.pk)).hexdigest()[:16]
        if user is not None and user.is_authenticated
        else "anonymous"
    )
    return json_script(
        {
            "scope": scope,
            "notSaved": _(
                "What you typed here at {time} was not saved (perhaps you were signed "
                "out, or the connection broke). It is kept in this browser tab."
            ),
            "restore": _("Put it back"),
            "discard": _("Discard it"),
            "restored": _("Put back. Check it, then save."),
        },
        "keep-typed-config",
    )


@register.simple_tag
def qr(text, label):
    """A QR code of `text` as inline SVG (mapapp.qr), `label` its accessible name."""
    from mapapp.qr import qr_svg

    return mark_safe(qr_svg(str(text), label=str(label)))  # noqa: S308 - our SVG, label escaped
