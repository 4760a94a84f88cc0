"""Reference layers: revitalisation zones, blue-green infrastructure, districts, land.

A layer is imported from a file as a new version; the previous version stays current until
the new one is fully in (one transaction flips `is_current`), and earlier versions remain
listed. Features keep the file's attributes. Geometry is stored in SRID 4326 like all ours:
areas as MultiPolygon, rivers as lines or areas, street trees as points.
"""

import uuid

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mapapp.files import PrivateFileStorage
from mapapp.filters import Fold
from mapapp.models import City

private_storage = PrivateFileStorage()


class Layer(models.Model):
    class Kind(models.TextChoices):
        REVITALISATION_ZONE = "revitalisation_zone", _("Revitalisation zone")
        REVITALISATION_SUBZONE = "revitalisation_subzone", _("Revitalisation sub-zone")
        PARK = "park", _("Park")
        FOREST = "forest", _("Forest")
        MEADOW = "meadow", _("Meadow")
        ALLOTMENTS = "allotments", _("Allotment gardens")
        WATER_BODY = "water_body", _("Water body")
        RIVER = "river", _("River or stream")
        STREET_TREES = "street_trees", _("Street trees")
        RAIN_GARDEN = "rain_garden", _("Rain garden or retention")
        DISTRICT = "district", _("Districts")
        MUNICIPAL_LAND = "municipal_land", _("Municipal land")
        ADDRESS = "address", _("Address points")
        OTHER = "other", _("Other")

    GREEN_KINDS = ("park", "forest", "meadow", "allotments")
    WATER_KINDS = ("water_body", "river", "rain_garden")
    ZONE_KINDS = ("revitalisation_zone", "revitalisation_subzone")
    POINT_KINDS = ("street_trees", "address")
    # found by the maps' "find a place", and exchanged as any layer, but not offered as a
    # layer to draw on the map (tens of thousands of points that say nothing at a glance)
    LOOKUP_KINDS = ("address",)
    LINE_KINDS = ("river",)

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="layers")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=300, blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    data_date = models.DateField(_("date of the data"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=False)
    is_public = models.BooleanField(_("public"), default=True)
    is_synthetic = models.BooleanField(_("synthetic demo data"), default=False)
    feature_count = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reference layer")
        ordering = ["city", "kind", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "name", "version"], name="geodata_layer_version"
            ),
            models.UniqueConstraint(
                fields=["city", "name"],
                condition=Q(is_current=True),
                name="geodata_layer_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def layer_key(self) -> str:
        """The layer's key in the public map's `layers` query parameter."""
        return f"ref{self.pk}"


class Feature(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="features")
    name = models.CharField(max_length=200, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)  # districts, when known
    attributes = models.JSONField(default=dict, blank=True)
    geom = models.GeometryField(srid=4326, spatial_index=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(geom__isvalid=True), name="%(app_label)s_%(class)s_geom_is_valid"
            ),
        ]
        indexes = [
            GistIndex(fields=["geom"], name="geodata_feature_geom_gist"),
            # the city map's "find a place" (wcs_fold(name) LIKE '%word%', and name %> word)
            GinIndex(OpClass(Fold("name"), name="gin_trgm_ops"), name="geodata_feature_name_trgm"),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class JobState(models.TextChoices):
    """The states of a background job (exports, imports)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BackgroundJob(models.Model):
    """What every job the task worker runs for someone keeps (a collection export, a layer
    import, an officer's import of projects): who asked, its state and progress, its error,
    and when it was asked for, last reported and finished. Its id is unguessable.
    geodata.jobs.job_stuck reads these to tell a job whose worker was lost."""

    State = JobState

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        "mapapp.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # when the worker last reported (started, or did more): a running job silent for
    # EXPORT_STUCK_SECONDS lost its worker
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # which run holds it: take() counts up, and a run records its progress and outcome only
    # while it still holds the job (run again meanwhile, a later run holds it)
    attempt = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0

    @classmethod
    def take(cls, pk) -> int:
        """Mark a queued job running, for one worker only, and return the run's number
        (`attempt`, from 1): 0 when it has finished, or another worker has it (a task run
        twice, or retried)."""
        with transaction.atomic():  # the row stays locked from the update to the read
            taken = cls.objects.filter(pk=pk, state=JobState.QUEUED).update(
                state=JobState.RUNNING, heartbeat_at=timezone.now(), attempt=F("attempt") + 1
            )
            if not taken:
                return 0
            return cls.objects.filter(pk=pk).values_list("attempt", flat=True).get()

    @classmethod
    def held(cls, pk, attempt: int):
        """The job while run `attempt` still holds it (running, not queued again since)."""
        return cls.objects.filter(pk=pk, attempt=attempt, state=JobState.RUNNING)


class ExportJob(BackgroundJob):
    """A collection export run in the background (large GeoPackage or Shapefile exports, or
    any export asked for in the background). Its file is private."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="export_jobs")
    collection = models.CharField(max_length=120)
    format = models.CharField(max_length=16)
    srid = models.PositiveIntegerField(default=4326)
    query = models.JSONField(default=dict, blank=True)  # the filters, as given
    file = models.FileField(storage=private_storage, upload_to="exports/%Y/", blank=True)
    filename = models.CharField(max_length=200, blank=True)

    class Meta(BackgroundJob.Meta):
        pass


class AnalysisResult(models.Model):
    """The planners' analysis of a city for one set of parameters, computed in the background
    (geodata.analysis_results) and kept until the data it was computed from change: the
    dashboard, its map, its downloads and the JSON read it instead of computing again."""

    State = JobState

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="analyses")
    key = models.CharField(max_length=64)  # digest of the parameters (and the method's version)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    data = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)  # analysts' view
    stamp = models.CharField(max_length=200, blank=True)  # the data it was computed from
    tried_stamp = models.CharField(max_length=200, blank=True)  # those of the last attempt
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)  # the last refresh asked
    computed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)  # how long the last computation took

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["city", "key"], name="geodata_analysis_city_key")
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.params}"


class ImportJob(BackgroundJob):
    """A layer import run by the task worker (files above IMPORT_SYNC_MAX_BYTES uploaded in
    the admin). Keeps the options, progress and the importer's summary or refusal."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=32)
    name = models.CharField(max_length=200, blank=True)
    file = models.FileField(storage=private_storage, upload_to="imports/%Y/")
    filename = models.CharField(max_length=200)
    options = models.JSONField(default=dict, blank=True)  # srid, make_valid, source, licence
    summary = models.TextField(blank=True)
    layer = models.ForeignKey(Layer, null=True, blank=True, on_delete=models.SET_NULL)

    UPLOADS = ("file",)  # kept while it may run again (geodata.jobs.job_run_again)

    class Meta(BackgroundJob.Meta):
        pass


class TileGridCell(models.Model):
    """Counts of a collection's public points per ~76 m cell of Web Mercator (a z13 tile
    split 64 x 64), kept by the task worker: low-zoom tiles over a million rows aggregate
    these few thousand cells instead of every point (geodata.tiles)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    collection = models.CharField(max_length=32)
    gx = models.IntegerField()
    gy = models.IntegerField()
    n = models.PositiveIntegerField()
    x = models.FloatField()  # mean position of the cell's points, EPSG:3857
    y = models.FloatField()
    any_id = models.PositiveIntegerField()  # a row of the cell (the row, when n is 1)

    class Meta:
        indexes = [models.Index(fields=["city", "collection", "gx", "gy"], name="geodata_grid_idx")]


class TileGridState(models.Model):
    """Which data stamp a city's grid of a collection was built from."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    collection = models.CharField(max_length=32)
    stamp = models.CharField(max_length=100)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["city", "collection"], name="geodata_gridstate_unique")
        ]
