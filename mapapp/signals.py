"""Signal receivers of the core: a saved or deleted city is read again by this process."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from mapapp.models import City
from mapapp.selectors import city_forget


@receiver([post_save, post_delete], sender=City, dispatch_uid="city-forget")
def forget_city(sender, instance, **kwargs):
    city_forget()  # all of them: the slug itself may have changed
