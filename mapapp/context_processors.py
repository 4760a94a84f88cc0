def city_nav(request):
    """The signed-in user's roles in the city of the current page, for navigation links.
    Links only; every view checks permissions itself."""
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("city") if match else None
    user = getattr(request, "user", None)
    if not slug or not (user and user.is_authenticated):
        return {"nav_roles": set()}
    from mapapp.models import CityRole, Flag

    roles = set(CityRole.objects.filter(user=user, city__slug=slug).values_list("role", flat=True))
    if user.is_superuser:
        roles |= {"programme_officer"}
    return {"nav_roles": roles, "flag_reasons": Flag.resident_reasons()}


def csp_nonce(request):
    """`csp_nonce` for templates that write inline script (django-leaflet's widget)."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
