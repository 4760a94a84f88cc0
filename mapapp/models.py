"""The core: cities, users with per-city roles, and the audit log.

A deployment serves several cities. Everything a resident sees belongs to one city: its
boundary (stored in SRID 4326 like all our geometry), the metric CRS in which its areas and
distances are measured, its language, currency and time zone.
"""

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator, URLValidator
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# First path segments that are ours, so no city may take them as its slug.
RESERVED_SLUGS = frozenset(
    {
        "accounts",
        "admin",
        "api",
        "embed",
        "healthz",
        "i18n",
        "media",
        "ogcapi",
        "open311",
        "static",
        "tiles",
        "jsi18n",
        "me",
        "privacy",
        "accessibility",
        "figures",  # the network's figures
        ".well-known",  # RFC 8615 (security.txt); no slug has a dot, but it is ours
        # the API's own pages under /api/v1/, beside the cities' indexes
        "cities",
        "docs",
        "schema",
    }
)


def validate_city_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is reserved for the site itself."), params={"slug": value}
        )


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone “%(tz)s”."), params={"tz": value})


def validate_metric_srid(value: int) -> None:
    from mapapp.geo import projected_crs_or_error

    error = projected_crs_or_error(value)
    if error:
        raise ValidationError(error)


class City(models.Model):
    class Currency(models.TextChoices):
        PLN = "PLN", _("Polish złoty (PLN)")
        CZK = "CZK", _("Czech koruna (CZK)")
        EUR = "EUR", _("Euro (EUR)")

    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[validate_city_slug])
    name = models.CharField(_("name"), max_length=120)
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, spatial_index=False)
    metric_srid = models.PositiveIntegerField(
        _("metric CRS (EPSG code)"),
        validators=[validate_metric_srid],
        help_text=_("Projected CRS in which areas and distances are measured, e.g. 2180 or 5514."),
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    require_staff_2fa = models.BooleanField(
        _("staff must use two-factor login"),
        default=False,
        help_text=_("Officers, committee members, planners and GIS staff of this city must "
                    "turn on two-factor login before they can work."),
    )  # fmt: skip
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    # ISO 3166-1 alpha-2: whose law names the city's data protection authority, accessibility
    # enforcement body and accessibility law (mapapp.countries)
    country = models.CharField(
        _("country"), max_length=2, blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters (ISO 3166), e.g. PL."))],
        help_text=_("Its two-letter code, e.g. PL or CZ: the city's information is filled in "
                    "with what that country's law names, where the platform knows it."),
    )  # fmt: skip
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Warsaw", validators=[validate_time_zone]
    )
    # Map settings: centre and zoom are derived from the boundary unless set here.
    map_center = models.PointField(_("map centre"), srid=4326, null=True, blank=True)
    map_zoom = models.PositiveSmallIntegerField(
        _("map zoom"), null=True, blank=True, validators=[MaxValueValidator(19)]
    )
    tile_url = models.CharField(
        _("basemap tile URL"),
        max_length=300,
        blank=True,
        help_text=_(
            "An XYZ template such as https://tile.example.org/{z}/{x}/{y}.png; "
            "empty uses the site default."
        ),
    )
    tile_attribution = models.CharField(_("basemap attribution"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(boundary__isvalid=True),
                name="%(app_label)s_%(class)s_boundary_is_valid",
            ),
            models.CheckConstraint(
                condition=Q(map_zoom__isnull=True) | Q(map_zoom__lte=19),
                name="%(app_label)s_%(class)s_map_zoom_range",
            ),
        ]
        indexes = [GistIndex(fields=["boundary"], name="mapapp_city_boundary_gist")]

    def __str__(self) -> str:
        return self.name

    def local_date(self, moment=None):
        """The day `moment` (now when None) falls on by the city's clocks, whatever zone the
        code runs in: a project completed at 00:30 in Koszalin was completed that day, also
        for a worker or a page of another city running in UTC."""
        from django.utils import timezone

        return timezone.localdate(moment or timezone.now(), zoneinfo.ZoneInfo(self.time_zone))

    @property
    def basemap_url(self) -> str:
        return self.tile_url or settings.MAP_TILE_URL

    @property
    def basemap_attribution(self) -> str:
        return self.tile_attribution if self.tile_url else settings.MAP_TILE_ATTRIBUTION


WEB_ADDRESS = URLValidator(schemes=["http", "https"])  # links a resident follows


class CityInformation(models.Model):
    """What the law asks a city's site to say about who runs it, kept by the city's programme
    officers (`/<city>/officer/information/`), never invented by the platform:

    - who runs the programme and how to reach them (the contact page);
    - the controller of personal data, its data protection officer and the supervisory
      authority (GDPR Art. 13; the city's privacy notice);
    - the accessibility statement's own parts (Directive (EU) 2016/2102, the model statement
      of Implementing Decision (EU) 2018/1523): the compliance status, the city's findings,
      the dates and method, a contact, the enforcement body. The platform's known limits
      are written in by the page itself.

    Texts a resident reads are per language ({"pl": ...}); a city without a row shows what is
    missing rather than another city's details."""

    class Compliance(models.TextChoices):
        FULL = "full", _("fully compliant")
        PARTIAL = "partial", _("partially compliant")
        NONE = "none", _("not compliant")

    class Method(models.TextChoices):
        SELF = "self", _("self-assessment by the city")
        THIRD_PARTY = "third_party", _("assessment by a third party")

    city = models.OneToOneField(
        City, on_delete=models.CASCADE, primary_key=True, related_name="information"
    )
    operator = models.JSONField(
        _("who runs the programme"), default=dict, blank=True,
        help_text=_("Per language: the city's office that runs the programme."),
    )  # fmt: skip
    introduction = models.JSONField(
        _("the programme in the city's words"), default=dict, blank=True,
        help_text=_("Per language: a few sentences on the city's map page and its about "
                    "page, in place of the platform's general description."),
    )  # fmt: skip
    postal_address = models.TextField(_("postal address"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(
        _("the programme's page on the city's website"), blank=True, validators=[WEB_ADDRESS]
    )
    dpo_contact = models.CharField(
        _("data protection officer"), max_length=300, blank=True,
        help_text=_("An e-mail address or a postal address."),
    )  # fmt: skip
    authority_name = models.CharField(_("data protection authority"), max_length=200, blank=True)
    authority_url = models.URLField(
        _("data protection authority's website"), blank=True, validators=[WEB_ADDRESS]
    )
    accessibility_status = models.CharField(
        _("compliance with the accessibility requirements"), max_length=10,
        choices=Compliance.choices, blank=True,
    )  # fmt: skip
    site_published_on = models.DateField(
        _("the city's pages published on"), null=True, blank=True,
        help_text=_("Some countries' statements must give it (in Poland: data publikacji)."),
    )  # fmt: skip
    site_updated_on = models.DateField(
        _("the city's pages last significantly updated on"), null=True, blank=True
    )
    accessibility_prepared_on = models.DateField(
        _("accessibility statement prepared on"), null=True, blank=True
    )
    accessibility_reviewed_on = models.DateField(
        _("accessibility statement last reviewed on"), null=True, blank=True
    )
    accessibility_method = models.CharField(
        _("how the site was assessed"), max_length=12, choices=Method.choices, blank=True
    )
    accessibility_findings = models.JSONField(
        _("content found not accessible"), default=dict, blank=True,
        help_text=_("Per language: what the city's own assessment found, beyond the platform's "
                    "known limits, which the statement lists by itself."),
    )  # fmt: skip
    building_accessibility = models.JSONField(
        _("accessibility of the office"), default=dict, blank=True,
        help_text=_("Per language: how residents reach the office where they hand in papers "
                    "(entrances, lifts, parking, induction loops, sign language). Polish "
                    "statements must describe it."),
    )  # fmt: skip
    accessibility_contact = models.CharField(
        _("contact for accessibility requests"), max_length=300, blank=True,
        help_text=_("Empty uses the contact e-mail."),
    )  # fmt: skip
    enforcement_name = models.CharField(_("enforcement body"), max_length=200, blank=True)
    enforcement_url = models.URLField(
        _("enforcement body's website"), blank=True, validators=[WEB_ADDRESS]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("city information")
        verbose_name_plural = _("city information")
        constraints = [
            models.CheckConstraint(
                condition=Q(accessibility_reviewed_on__isnull=True)
                | Q(accessibility_prepared_on__isnull=False)
                & Q(accessibility_reviewed_on__gte=models.F("accessibility_prepared_on")),
                name="%(app_label)s_%(class)s_review_after_preparation",
            ),
            models.CheckConstraint(
                condition=Q(site_updated_on__isnull=True)
                | Q(site_published_on__isnull=False)
                & Q(site_updated_on__gte=models.F("site_published_on")),
                name="%(app_label)s_%(class)s_update_after_publication",
            ),
        ]

    def __str__(self) -> str:
        return str(self.city)

    def text(self, field: str) -> str:
        """A per-language text in the page's language, else the city's, else any."""
        from django.utils.translation import get_language

        value = getattr(self, field) or {}
        for lang in ((get_language() or "")[:2], self.city.default_language):
            if value.get(lang):
                return value[lang]
        return next((v for v in value.values() if v), "")

    @property
    def operator_text(self) -> str:
        return self.text("operator")

    @property
    def introduction_text(self) -> str:
        return self.text("introduction")

    @property
    def findings_text(self) -> str:
        return self.text("accessibility_findings")

    @property
    def building_text(self) -> str:
        return self.text("building_accessibility")

    @property
    def accessibility_contact_or_email(self) -> str:
        return self.accessibility_contact or self.contact_email

    def missing(self) -> list[str]:
        """What the law asks the city's pages to say and they cannot yet: the officers'
        page lists it until it is filled in."""
        wanted = [
            (self.contact_email, _("a contact e-mail")),
            (self.operator_text, _("who runs the programme")),
            (self.dpo_contact, _("the data protection officer")),
            (self.authority_name, _("the data protection authority")),
            (self.accessibility_status, _("the accessibility compliance status")),
            (self.accessibility_prepared_on, _("the date of the accessibility statement")),
            (self.enforcement_name, _("the accessibility enforcement body")),
        ]
        return [str(label) for value, label in wanted if not value]

    @property
    def has_contact(self) -> bool:
        return any(
            (self.operator_text, self.postal_address, self.contact_email,
             self.contact_phone, self.website)
        )  # fmt: skip


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an e-mail address. Roles are per city (CityRole)."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def language_in(self, city) -> str:
        """The language of this person's e-mails about `city`: their own, else the city's."""
        return self.preferred_language or city.default_language

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="mapapp_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Ownership(models.TextChoices):
    """Who owns a piece of land: for proposals (the landowner) and sites alike."""

    CITY = "city", _("The city")
    PUBLIC = "public", _("Another public body")
    PRIVATE = "private", _("Private")
    UNKNOWN = "unknown", _("Unknown")


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    NGO_REPRESENTATIVE = "ngo_representative", _("NGO representative")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    PROGRAMME_OFFICER = "programme_officer", _("Programme officer")
    PLANNER = "planner", _("Planner")
    GIS_STAFF = "gis_staff", _("GIS staff")


class CityRole(models.Model):
    """A role a user holds in one city. A role in one city grants nothing in another."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="city_roles"
    )
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("city role")
        verbose_name_plural = _("city roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "city", "role"], name="mapapp_cityrole_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.city}"


class AuditEvent(models.Model):
    """Append-only record of who changed what and when; written only by audit.audit_record."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)  # kept if the user is deleted
    city = models.ForeignKey(
        City, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="mapapp_audit_object_idx")
        ]

    def __str__(self) -> str:
        target = f"{self.object_type}#{self.object_id}"
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {target}"


class Flag(models.Model):
    """A resident's report that a proposal or a site should not be public (personal data,
    offensive, spam...). Officers review flags; upholding one hides the content (its
    original is kept for the record) until an officer shows it again."""

    class Reason(models.TextChoices):
        PERSONAL_DATA = "personal_data", _("It shows someone's personal data")
        OFFENSIVE = "offensive", _("It is offensive or hateful")
        SPAM = "spam", _("It is spam or advertising")
        WRONG = "wrong", _("It is false or misleading")
        OTHER = "other", _("Something else")
        # raised by proposals.services.support, never chosen by a resident
        SUPPORT_BURST = "support_burst", _("Many supports from new accounts (automatic)")
        # the author of hidden content asks for it to be shown again (mapapp.flags)
        OBJECTION = "objection", _("The author objects to hiding it")

    AUTOMATIC_REASONS = frozenset({Reason.SUPPORT_BURST})

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        UPHELD = "upheld", _("Upheld: hidden")
        DISMISSED = "dismissed", _("Dismissed")

    class Target(models.TextChoices):
        PROPOSAL = "proposal", _("Proposal")
        SITE = "site", _("Site")

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="flags")
    target_type = models.CharField(max_length=16, choices=Target.choices)
    target_id = models.PositiveIntegerField()
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.TextField(_("what is wrong"), blank=True, max_length=1000)
    # an automatic flag's numbers, rendered in the reader's language (e.g. supports, minutes)
    details = models.JSONField(default=dict, blank=True)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    @classmethod
    def resident_reasons(cls) -> list[tuple[str, str]]:
        return [(v, label) for v, label in cls.Reason.choices
                if v not in cls.AUTOMATIC_REASONS and v != cls.Reason.OBJECTION]  # fmt: skip

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id", "flagged_by"],
                condition=models.Q(state="open"),
                name="mapapp_flag_one_open_per_person",
            )
        ]


class OutgoingMail(models.Model):
    """An e-mail waiting for the task worker (mapapp.tasks.deliver_mail). Its text lives
    here, not in the task queue's record (which keeps only this row's id), so that it is
    deleted the moment it is sent: confirmation and reset links and the feedback and
    decisions e-mails carry stay in the database, and in its backups, only while they wait.
    A failed e-mail stays with its error until apply_retention removes it."""

    subject = models.TextField()
    body = models.TextField()
    recipients = models.JSONField(default=list)
    # extra headers, e.g. List-Unsubscribe (RFC 2369/8058) on the e-mails people opted into
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="mapapp_outgoingmail_created")]


class RateCount(models.Model):
    """Requests counted in one window of one rate limit (mapapp.ratelimit), for an address or
    a user. In the database, so that every worker of a deployment adds to the same count;
    rows hold client addresses and go once their window has ended (privacy.apply_retention)."""

    key = models.CharField(max_length=255, primary_key=True)
    ends_at = models.DateTimeField(db_index=True)
    n = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.key}: {self.n}"


class JobRun(models.Model):
    """When a scheduled job (daily jobs, backup) last succeeded and failed (mapapp.jobs)."""

    name = models.CharField(max_length=64, primary_key=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # for the admin only: it may name hosts, paths

    def __str__(self):
        return self.name


class ApiTokenRecord(models.Model):
    """What the platform notes of an API token beyond DRF's own row: when it was last used
    (mapapp.authentication, at most once an hour per worker: for whoever looks for tokens
    nobody uses any more, or at what a leaked one did) and when its holder was told it ends
    soon (services.api_token_reminders_send, once), and what it may do beyond reading. It
    goes with its token."""

    token = models.OneToOneField(
        "authtoken.Token", on_delete=models.CASCADE, primary_key=True, related_name="record"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # a token reads; one made to, by GIS staff, also sends layers for import (the REST API's
    # only write): a token kept in a QGIS project that leaks cannot change the city's layers
    can_import = models.BooleanField(default=False)

    def __str__(self):
        return f"{self.token.user_id}: {self.last_used_at}"
