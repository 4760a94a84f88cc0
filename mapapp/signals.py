"""Signal receivers of the core: a saved or deleted city is read again by this process; a
language chosen before signing in becomes the person's if they had none."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from mapapp.models import City
from mapapp.selectors import city_forget


@receiver([post_save, post_delete], sender=City, dispatch_uid="city-forget")
def forget_city(sender, instance, **kwargs):
    city_forget()  # all of them: the slug itself may have changed


@receiver(user_logged_in, dispatch_uid="language-chosen-before-sign-in")
def keep_chosen_language(sender, request, user, **kwargs):
    """Someone who chose a language with the switcher, then signed in to an account without
    a preferred language, keeps that choice for their e-mails and other devices."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "") if request else ""
    if not getattr(user, "preferred_language", "x") and chosen in dict(settings.LANGUAGES):
        user.preferred_language = chosen
        user.save(update_fields=["preferred_language"])
