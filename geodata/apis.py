"""Reference layers: the list of public layers and each layer's features as GeoJSON."""

from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from geodata import selectors
from geodata.models import Feature
from mapapp import rest
from mapapp import selectors as city_selectors
from mapapp.filters import matching, text_query


class LayerListApi(APIView):
    """The city's current reference layers with their kind: the public ones, and for the
    city's GIS staff, planners and officers (token or session) the non-public ones too."""

    @extend_schema(
        operation_id="layers_list",
        parameters=[rest.CITY_PARAMETER],
        responses={200: OpenApiTypes.OBJECT, 404: rest.NOT_FOUND},
    )
    def get(self, request, city):
        city_obj = city_selectors.city_get(slug=city)
        layers = [
            {
                "id": layer.pk,
                "name": layer.name,
                "kind": layer.kind,
                "kind_label": str(layer.get_kind_display()),
                "version": layer.version,
                "source": layer.source,
                "licence": layer.licence,
                "date": layer.data_date.isoformat() if layer.data_date else None,
                "synthetic": layer.is_synthetic,
                "features": layer.feature_count,
                "url": request.build_absolute_uri(
                    reverse("api:layer", kwargs={"city": city_obj.slug, "pk": layer.pk})
                ),
            }
            for layer in selectors.layers_for(city=city_obj, user=request.user)
        ]
        return Response({"layers": layers})


def _layer_etag(request, city, pk):
    # a layer version never changes (a new import is a new id); the query picks the page
    return f'"layer-{pk}-{request.GET.urlencode()}"'


@method_decorator(gzip_page, name="get")
@method_decorator(condition(etag_func=_layer_etag), name="get")
class LayerFeaturesApi(APIView):
    """One reference layer's features as a GeoJSON FeatureCollection (name, population and
    the imported attributes as properties), with bbox, search words in the name (`q`, as in
    OGC API Features) and paging like the other collections."""

    renderer_classes = rest.GEOJSON_RENDERERS

    @extend_schema(
        operation_id="layer_features",
        parameters=[
            rest.CITY_PARAMETER,
            OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH),
            *[p for p in rest.COMMON_PARAMETERS if p.name in ("bbox", "q", "limit", "offset")],
            rest.ordering_parameter({"id": "id", "name": "name"}),
        ],
        responses=rest.geojson_responses(),
    )
    def get(self, request, city, pk):
        city_obj = city_selectors.city_get(slug=city)
        layer = selectors.layers_for(city=city_obj, user=request.user).filter(pk=pk).first()
        if layer is None:
            raise Http404
        features = matching(Feature.objects.filter(layer=layer), text_query(request.GET), "name")
        return rest.collection_response(
            request,
            features,
            properties=["name", "population", "attributes"],
            orderings={"id": "id", "name": "name"},
        )


class LayerImportApi(APIView):
    """GIS staff send a layer file for import, as the admin's upload does (the same checks,
    the same importer), for scripts that keep the city's layers in step with its own GIS:
    multipart `file`, `kind`, and optionally `name` (the same name: a new version),
    `srid`, `make_valid`, `name_format`, `source`, `licence`, `public` (default true).
    The task worker imports it; the answer is 202 with the job's address to follow."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="layer_import",
        parameters=[rest.CITY_PARAMETER],
        request={"multipart/form-data": OpenApiTypes.OBJECT},
        responses={
            **dict.fromkeys((202, 400, 401, 403, 429), OpenApiTypes.OBJECT),
            404: rest.NOT_FOUND,
        },
    )
    def post(self, request, city):
        from geodata.forms import LayerUploadForm
        from geodata.import_jobs import import_job_create
        from mapapp.ratelimit import limit_message, over_limit

        city_obj = city_selectors.city_get(slug=city)
        check_gis_staff(request, city_obj)
        check_token_may_import(request)
        wait = over_limit("upload", request)
        if wait:
            return Response({"detail": limit_message(wait)}, status=429,
                            headers={"Retry-After": str(wait)})  # fmt: skip
        form = LayerUploadForm({**request.data.dict(), "city": city_obj.pk}, request.FILES)
        errors = {} if form.is_valid() else {n: [str(m) for m in e] for n, e in form.errors.items()}
        public = str(request.data.get("public", "true")).strip().lower()
        if public not in ("true", "false", "1", "0"):
            errors["public"] = [_("Give true or false.")]
        if errors:
            return Response({"detail": _("The import was refused."), "errors": errors}, status=400)
        data = form.cleaned_data
        job = import_job_create(
            city=city_obj, kind=data["kind"], name=data["name"], upload=data["file"],
            options={"srid": data["srid"], "make_valid": data["make_valid"],
                     "source": data["source"], "licence": data["licence"],
                     "name_format": data["name_format"], "public": public in ("true", "1")},
            user=request.user,
        )  # fmt: skip
        body = import_job_data(request, job)
        return Response(body, status=202, headers={"Location": body["url"]})


class LayerImportJobApi(APIView):
    """A layer import sent through the API (or uploaded in the admin): its state, progress,
    the importer's summary or refusal, and the layer it made. The city's GIS staff."""

    @extend_schema(
        operation_id="layer_import_job",
        parameters=[rest.CITY_PARAMETER,
                    OpenApiParameter("job", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT,
                   403: OpenApiTypes.OBJECT, 404: rest.NOT_FOUND},
    )  # fmt: skip
    def get(self, request, city, job):
        from geodata.models import ImportJob

        city_obj = city_selectors.city_get(slug=city)
        check_gis_staff(request, city_obj)
        found = ImportJob.objects.filter(city=city_obj, pk=job).select_related("layer").first()
        if found is None:
            raise Http404
        response = Response(import_job_data(request, found))
        response["Cache-Control"] = "no-store"
        return response


def check_gis_staff(request, city) -> None:
    """The city's GIS staff (and superusers) only: 401 for nobody signed in, 403 else."""
    from rest_framework.exceptions import NotAuthenticated, PermissionDenied

    from mapapp.models import Role
    from proposals.access import has_role

    if not request.user.is_authenticated:
        raise NotAuthenticated
    if not has_role(request.user, city, Role.GIS_STAFF):
        raise PermissionDenied(_("Only the city's GIS staff may import layers."))


def check_token_may_import(request) -> None:
    """A token sends layers for import only when it was made to (mapapp ApiTokenRecord
    .can_import): the tokens kept in QGIS projects only read. A session is not a token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.exceptions import PermissionDenied

    from mapapp.services import api_token_can_import

    if isinstance(request.auth, Token) and not api_token_can_import(request.auth):
        raise PermissionDenied(_(
            "This token only reads. To send layers for import, make one that may at "
            "%(url)s."
        ) % {"url": request.build_absolute_uri(reverse("my-token"))})  # fmt: skip


def import_job_data(request, job) -> dict:
    from geodata.jobs import job_stuck

    layer = job.layer
    url = reverse("api:layer-import", kwargs={"city": job.city.slug, "job": job.pk})
    return {
        "id": str(job.pk),
        "url": request.build_absolute_uri(url),
        "state": job.state,
        "worker_lost": job_stuck(job),
        "file": job.filename,
        "kind": job.kind,
        "name": job.name,
        "done": job.done,
        "total": job.total,
        "summary": job.summary,
        "error": job.error,
        "layer": None if layer is None else {
            "id": layer.pk, "name": layer.name, "version": layer.version,
            "url": request.build_absolute_uri(
                reverse("api:layer", kwargs={"city": job.city.slug, "pk": layer.pk})),
        },
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }  # fmt: skip
