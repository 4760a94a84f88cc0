from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mapapp import selectors as city_selectors


def load_city(request, slug):
    """The page's city (its language is set by mapapp.middleware.VisitorLanguage)."""
    return city_selectors.city_get(slug=slug)


def report(request, exc: ValidationError) -> None:
    """Show a service's refusal as messages on the next page."""
    for message in exc.messages:
        messages.error(request, message)


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: per field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages[0] if hasattr(error, "messages") else error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def posted_date(value, *, optional: bool = False) -> date | None:
    """A date field's value (YYYY-MM-DD, as the browser's date input sends it); None for an
    empty optional one."""
    if optional and not (value or "").strip():
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
