"""Neglected sites and completed interventions in public space.

A site is a place in need of care. Residents report sites; a report is public only after
an officer or planner accepts it (moderation), and the reporter sees the outcome. Staff and
imports add sites directly. Condition: neglected -> being revitalised -> revitalised.

An intervention is a completed project in public space: from a granted proposal (created
when its completion is accepted) or recorded by officers for work outside the programme.
Its sustainability period ends on a date; until then it is "in maintenance".
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geodata.models import BackgroundJob, private_storage
from mapapp.filters import Fold
from mapapp.models import City, Ownership


class Site(models.Model):
    class Condition(models.TextChoices):
        NEGLECTED = "neglected", _("Neglected")
        BEING_REVITALISED = "being_revitalised", _("Being revitalised")
        REVITALISED = "revitalised", _("Revitalised")

    Ownership = Ownership

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Not accepted")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Always a point; for an area, a point on its surface.
    geom = models.PointField(_("location"), srid=4326, spatial_index=False)
    area = models.MultiPolygonField(
        _("area"), srid=4326, null=True, blank=True, spatial_index=False
    )
    condition = models.CharField(
        _("condition"), max_length=24, choices=Condition.choices, default=Condition.NEGLECTED
    )
    ownership = models.CharField(
        _("ownership"), max_length=16, choices=Ownership.choices, default=Ownership.UNKNOWN
    )
    district = models.CharField(_("district"), max_length=120, blank=True)
    moderation = models.CharField(
        max_length=16, choices=Moderation.choices, default=Moderation.PENDING
    )
    moderation_note = models.TextField(_("note to the reporter"), blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_sites",
    )
    # hidden after a flag was upheld: out of every public page and interface, kept as it was
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    reported_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=40, default="report")  # report | staff | import name
    external_id = models.CharField(max_length=64, blank=True)  # id in the imported dataset
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(geom__isvalid=True), name="%(app_label)s_%(class)s_geom_is_valid"
            ),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__isvalid=True),
                name="%(app_label)s_%(class)s_area_is_valid",
            ),
            models.UniqueConstraint(
                fields=["city", "source", "external_id"],
                condition=~Q(external_id=""),
                name="sites_site_import_key",
            ),
        ]
        indexes = [
            GistIndex(fields=["geom"], name="sites_site_geom_gist"),
            GistIndex(fields=["area"], name="sites_site_area_gist"),
            models.Index(fields=["city", "moderation", "condition"], name="sites_site_public_idx"),
            # search words (`q`): trigram indexes, as on the proposals
            GinIndex(OpClass(Fold("name"), name="gin_trgm_ops"), name="sites_site_name_trgm"),
            GinIndex(
                OpClass(Fold("description"), name="gin_trgm_ops"),
                name="sites_site_description_trgm",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SitePhoto(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="sites/%Y/")
    thumbnail = models.ImageField(upload_to="sites/%Y/thumbs/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]


class Intervention(models.Model):
    class Funding(models.TextChoices):
        GRANT = "grant", _("Grant from a call")
        OTHER = "other", _("Other funding")

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="interventions")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("story"), blank=True)
    category = models.CharField(_("category"), max_length=32)  # Proposal.Category values
    geom = models.PointField(_("location"), srid=4326, spatial_index=False)
    area = models.MultiPolygonField(
        _("area"), srid=4326, null=True, blank=True, spatial_index=False
    )
    completed_on = models.DateField(_("completed"))
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0)
    funding = models.CharField(
        _("funding"), max_length=8, choices=Funding.choices, default=Funding.OTHER
    )
    grant_call = models.ForeignKey(
        "proposals.GrantCall",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    proposal = models.OneToOneField(
        "proposals.Proposal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="intervention",
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="interventions"
    )
    volunteers = models.PositiveIntegerField(_("volunteers"), default=0)
    volunteer_hours = models.DecimalField(
        _("volunteer hours"), max_digits=8, decimal_places=1, default=0
    )
    maintainer = models.CharField(_("maintainer"), max_length=200, blank=True)
    sustainability_ends_on = models.DateField(
        _("sustainability period ends"), null=True, blank=True
    )
    # the row's id in the file it was imported from (sites.importers.import_interventions):
    # importing the file again updates it instead of adding it twice
    source_ref = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("intervention")
        ordering = ["-completed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(geom__isvalid=True), name="%(app_label)s_%(class)s_geom_is_valid"
            ),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__isvalid=True),
                name="%(app_label)s_%(class)s_area_is_valid",
            ),
            models.CheckConstraint(
                condition=Q(funding="other") | Q(grant_call__isnull=False),
                name="sites_intervention_grant_has_call",
            ),
            models.UniqueConstraint(
                fields=["city", "source_ref"],
                condition=~Q(source_ref=""),
                name="sites_intervention_source_ref_once",
            ),
        ]
        indexes = [
            GistIndex(fields=["geom"], name="sites_intervention_geom_gist"),
            GistIndex(fields=["area"], name="sites_intervention_area_gist"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_maintenance(self) -> bool:
        return (
            bool(self.sustainability_ends_on)
            and timezone.localdate() <= self.sustainability_ends_on
        )


class PhotoPair(models.Model):
    """A before and an after photo taken from the same viewpoint."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="pairs")
    before = models.ImageField(upload_to="interventions/%Y/")
    after = models.ImageField(upload_to="interventions/%Y/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    viewpoint = models.PointField(_("viewpoint"), srid=4326, null=True, blank=True)
    direction = models.PositiveSmallIntegerField(_("direction (degrees)"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # the two source photos' digest when the pair came with an imported file
    # (sites.importers.import_interventions): importing again keeps it instead of adding it
    # twice, and drops it when the file no longer lists it; pairs added by hand have none
    source_ref = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__isnull=True) | Q(direction__lt=360),
                name="sites_photopair_direction",
            ),
        ]


def _new_key() -> str:
    import secrets

    return secrets.token_urlsafe(24)


class Open311Client(models.Model):
    """An application allowed to file reports through Open311 GeoReport v2 with its api_key.
    Officers issue keys in the admin; a key works for one city and can be switched off."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="open311_clients")
    name = models.CharField(_("application"), max_length=120)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    api_key = models.CharField(max_length=64, unique=True, default=_new_key, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 application")

    def __str__(self) -> str:
        return self.name


class Open311Request(models.Model):
    """The Open311 side of a report filed by an application: the token it got back and the
    reporter's contact details (personal data: officers only, never in the API)."""

    token = models.UUIDField(unique=True, editable=False)
    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="open311")
    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="requests")
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ProjectImport(BackgroundJob):
    """An officer's upload of completed projects from before the platform (a GeoPackage,
    GeoJSON or zipped Shapefile, and a zip of their photos), imported by the task worker
    with the same importer as `manage.py import_interventions`. Keeps the options, the
    progress, the counts and each refused row; the uploaded files are deleted once read."""

    class Stage(models.TextChoices):
        ROWS = "rows", _("Checking the rows and their photos")
        PHOTOS = "photos", _("Preparing the photos")
        SAVING = "saving", _("Saving")

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="project_imports")
    data = models.FileField(storage=private_storage, upload_to="project-imports/%Y/")
    photos = models.FileField(storage=private_storage, upload_to="project-imports/%Y/",
                              blank=True)  # fmt: skip
    filename = models.CharField(max_length=200)
    photos_filename = models.CharField(max_length=200, blank=True)
    # id_field, srid, sustainability_months, skip_invalid
    options = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    # read, created, updated, pairs_added, pairs_kept, pairs_removed
    counts = models.JSONField(default=dict, blank=True)
    refused = models.JSONField(default=list, blank=True)  # [[row number, why], ...]

    UPLOADS = ("data", "photos")  # kept while it may run again (geodata.jobs.job_run_again)

    class Meta(BackgroundJob.Meta):
        pass
