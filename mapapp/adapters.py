"""django-allauth adapted to this deployment."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.contrib.sites.shortcuts import get_current_site


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The address allauth's limits count (logins, failed logins, sign-ups, password
        resets): the client's, as our own rate limits see it. allauth alone reads the
        connection's address, which behind the deployment's nginx is nginx's own for every
        visitor, so five sign-ups an hour would have been the whole city's allowance."""
        from mapapp.ratelimit import client_address

        return client_address(request) or super().get_client_ip(request)

    def save_user(self, request, user, form, commit=True):
        """A new account speaks the language its sign-up page spoke (chosen, the city's, or
        the browser's): its e-mails are written in it from the first one on."""
        from django.conf import settings
        from django.utils import translation

        language = (translation.get_language() or "")[:2]
        if not user.preferred_language and language in dict(settings.LANGUAGES):
            user.preferred_language = language
        return super().save_user(request, user, form, commit)

    def format_email_subject(self, subject: str) -> str:
        """[Koszalin] when the visitor came from Koszalin's pages, else the programme's name,
        in the visitor's language (allauth's prefix is one fixed text)."""
        from django.utils.encoding import force_str
        from django.utils.translation import gettext

        from mapapp.navigation import city_of_next

        request = context.request
        city = city_of_next(request) if request is not None else None
        return f"[{city.name if city else gettext('We Create Space')}] {force_str(subject)}"

    def send_mail(self, template_prefix: str, email: str, context_: dict) -> None:
        """Rendered here, in the visitor's language, and sent by the task worker like every
        other e-mail (mapapp.tasks): a slow or failing mail server neither holds nor fails a
        sign-up or a password reset, and the e-mail waits for the server to come back.

        Signed like the city's own e-mails (its office, replies to its contact address, its
        privacy notice) when the visitor came from a city's pages (the form's `next`), else
        by the programme with the deployment's privacy notice."""
        from mapapp.navigation import city_of_next
        from mapapp.tasks import deployment_signature, mail

        request = context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        message = self.render_mail(template_prefix, email, {**ctx, **context_})
        if getattr(message, "alternatives", None):  # an HTML part: the queue carries text
            message.send()
            return
        city = city_of_next(request) if request is not None else None
        body = message.body.rstrip() + ("" if city else "\n\n" + deployment_signature())
        mail(message.subject, body, message.to, city=city)
