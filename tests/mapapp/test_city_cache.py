"""Cities are kept per process for a short time; saving one is seen at once."""

from mapapp.selectors import city_get


def test_a_saved_city_is_read_again_and_callers_get_copies(koszalin, django_assert_num_queries):
    first = city_get(slug="koszalin")
    with django_assert_num_queries(0):
        again = city_get(slug="koszalin")
    again.name = "Changed by a caller"
    assert city_get(slug="koszalin").name == "Koszalin"  # the kept one is untouched
    koszalin.name = "Koszalin (renamed)"
    koszalin.save()
    assert city_get(slug="koszalin").name == "Koszalin (renamed)"
    assert first.pk == koszalin.pk
