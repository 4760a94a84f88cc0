"""allauth's forms as this site needs them (ACCOUNT_FORMS)."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """The sign-in form, whose "Forgot your password?" link carries the page's `next` (a
    page of this site only): allauth's reset form sends it on, so the reset e-mail is signed
    by the city the visitor came from, as a sign-up confirmation is (mapapp.adapters)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.request
        if request is None:
            return
        target = request.GET.get("next") or request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            url = f"{reverse('account_reset_password')}?{urlencode({'next': target})}"
            self.fields["password"].help_text = format_html(
                '<a href="{}">{}</a>', url, _("Forgot your password?")
            )
