"""Grant calls and the proposals made to them.

Lifecycle of a grant call (GrantCall):
    created (any time) -> open for proposals between opens_at and closes_at -> after closing,
    officers do the formal check -> rounds 1..N of assessment: an officer opens a round
    (round_open), committee members score, the officer closes it and releases feedback;
    applicants may revise before the next round opens -> after the last round is closed,
    the ranking and the city's decisions.

Lifecycle of a proposal (Proposal.status):
    draft (private, autosaved)
      -> collecting_support (public page, supporters sign; the call must be open)
      -> submitted (only inside the call's window, complete, with enough supporters)
      -> ineligible (formal check; end state with a reason the applicant sees)
       | in_assessment (eligible; scored in rounds, revisable between rounds)
      -> rejected (end state) | granted (with an amount)
      -> agreement_signed -> in_progress (milestones, expenses, work days)
      -> completed (after photos) -> sustainability (maintenance reports every 6 months)
      -> closed.
    withdrawn is an end state reachable by the applicant until work has started.
    revoked: officers revoke a grant (granted to completed) with a public reason; its money
    returns to the call's budget, from which a proposal not granted may be granted later
    (the reserve: rejected -> granted).
Every transition is a service in proposals.services that checks who may do it and that it is
the proposal's turn, and writes the audit log.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mapapp.files import private_storage
from mapapp.filters import Fold
from mapapp.models import City, Ownership

MONEY = {"max_digits": 12, "decimal_places": 2}


def localized(value: dict, fallback: str = "en") -> str:
    """Pick the current language from a {language: text} dict, else English, else any."""
    if not value:
        return ""
    lang = (get_language() or fallback)[:2]
    return value.get(lang) or value.get(fallback) or next(iter(value.values()), "")


class Organisation(models.Model):
    """An NGO. It applies through a verified representative."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="organisations")
    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "registration_number"], name="proposals_org_unique_reg"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Representative(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="representatives"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="representations"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # asked by the person (services.organisations.representation_request), decided by an
    # officer: verified, or refused with the reason they are told
    role = models.CharField(_("your role in the organisation"), max_length=100, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="proposals_rep_unique")
        ]

    @property
    def pending(self) -> bool:
        return self.verified_at is None and self.refused_at is None

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class GrantCall(models.Model):
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="grant_calls")
    title = models.JSONField(_("title"), default=dict, help_text=_("Per language: {'pl': ...}"))
    description = models.JSONField(_("description"), default=dict, blank=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    total_budget = models.DecimalField(_("total budget"), **MONEY)
    project_cap = models.DecimalField(_("per-project cap"), **MONEY)
    allow_individuals = models.BooleanField(_("individuals may apply"), default=True)
    allow_ngos = models.BooleanField(_("NGOs may apply"), default=True)
    min_supporters = models.PositiveSmallIntegerField(_("minimum supporters"), default=15)
    supporter_min_age = models.PositiveSmallIntegerField(_("supporters' minimum age"), default=15)
    landowner_consent_required = models.BooleanField(_("landowner consent required"), default=True)
    rounds = models.PositiveSmallIntegerField(
        _("evaluation rounds"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    sustainability_months = models.PositiveSmallIntegerField(
        _("sustainability period (months)"), default=24
    )
    max_area_m2 = models.PositiveIntegerField(_("largest project area (m²)"), default=10_000)
    max_vertices = models.PositiveIntegerField(_("most vertices of a drawn area"), default=300)
    committee_size = models.PositiveSmallIntegerField(
        _("committee members"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(15)],
        help_text=_("Rounds open only once the committee has this many members."),
    )
    # a programme's choice, announced with the rules: the committee's final weighted score of
    # each proposal, and its rank, on the call's public results (never a member's own scores)
    publish_scores = models.BooleanField(
        _("the committee's final scores published with the results"),
        default=False,
        help_text=_(
            "Each proposal's final weighted score and rank, on the call's public page once "
            "the city decides; never a member's own scores. Applicants read it with the rules."
        ),
    )
    committee = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="committee_calls"
    )
    current_round = models.PositiveSmallIntegerField(default=0)  # 0: not started
    round_open = models.BooleanField(default=False)
    # when the latest round closed (services.assessment.round_close; None while one is open):
    # once the last has, the day the assessment ended, before which no decision is dated
    round_closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # when the news of its grants decided meanwhile goes to the area alerts (one e-mail a
    # person for a sitting of decisions: services.alerts.grant_news_schedule); None: none due
    grant_news_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # the city's act deciding the grants (a board's resolution: its number or title, and
    # where the city publishes it), shown with the call's results
    decision_reference = models.CharField(
        _("the city's decision"), max_length=200, blank=True, editable=False
    )
    decision_url = models.URLField(_("where it is published"), blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("grant call")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="proposals_call_dates",
                violation_error_message=_("The call must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(project_cap__gt=0) & Q(project_cap__lte=models.F("total_budget")),
                name="proposals_call_cap_within_budget",
                violation_error_message=_(
                    "The per-project cap must be above zero and at most the total budget."
                ),
            ),
            models.CheckConstraint(
                condition=Q(current_round__lte=models.F("rounds")), name="proposals_call_round"
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return localized(self.title) or f"#{self.pk}"

    @property
    def display_description(self) -> str:
        return localized(self.description)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    @property
    def rules_open(self) -> bool:
        """Its rules and criteria may still change: it has not opened (applicants and
        supporters rely on them from then on)."""
        return self.opens_at > timezone.now() and not self.current_round

    @property
    def assessment_finished(self) -> bool:
        return self.current_round == self.rounds and not self.round_open

    @property
    def assessment_stage(self) -> str:
        """Where the committee's assessment stands: "before_rounds" (none opened yet),
        "round_open", "between_rounds" (one closed, more to come) or "finished"."""
        if self.round_open:
            return "round_open"
        if self.assessment_finished:
            return "finished"
        return "between_rounds" if self.current_round else "before_rounds"


class CriterionBase(models.Model):
    """An assessment criterion: a key (kept when it is renamed), its name in each language,
    its weight in the weighted average, its place in the list."""

    key = models.SlugField(max_length=40)
    name = models.JSONField(default=dict)
    weight = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("1.00"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return localized(self.name) or self.key


class Criterion(CriterionBase):
    """A call's criterion, which the committee scores (services.calls.criteria_set)."""

    grant_call = models.ForeignKey(GrantCall, on_delete=models.CASCADE, related_name="criteria")

    class Meta(CriterionBase.Meta):
        constraints = [
            models.UniqueConstraint(fields=["grant_call", "key"], name="proposals_criterion_key"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="proposals_criterion_weight"),
        ]


class CityCriterion(CriterionBase):
    """A city's own criteria, which its new calls start with unless started from an earlier
    call (services.calls.city_criteria_set); without any, the built-in DEFAULT_CRITERIA."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="call_criteria")

    class Meta(CriterionBase.Meta):
        constraints = [
            models.UniqueConstraint(fields=["city", "key"], name="proposals_citycriterion_key"),
            models.CheckConstraint(
                condition=Q(weight__gt=0), name="proposals_citycriterion_weight"
            ),
        ]


class Proposal(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COLLECTING_SUPPORT = "collecting_support", _("Collecting support")
        SUBMITTED = "submitted", _("Submitted")
        INELIGIBLE = "ineligible", _("Ineligible")
        IN_ASSESSMENT = "in_assessment", _("In assessment")
        REJECTED = "rejected", _("Not granted")
        GRANTED = "granted", _("Granted")
        AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        SUSTAINABILITY = "sustainability", _("Sustainability period")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # granted, then the city took the grant back (grants.grant_revoke): public, with why
        REVOKED = "revoked", _("Grant revoked")
        # gathering support when its call closed, never submitted (drafting.expire_unsubmitted)
        EXPIRED = "expired", _("Not submitted in time")

    class Category(models.TextChoices):
        COMMUNITY_GARDEN = "community_garden", _("Community garden")
        PLAYGROUND = "playground", _("Playground")
        SEATING = "seating", _("Seating and picnic area")
        GREENERY = "greenery", _("Greenery and trees")
        RAIN_GARDEN = "rain_garden", _("Rain garden or water retention")
        ART = "art", _("Art")
        SPORT = "sport", _("Sport")
        OTHER = "other", _("Other")

    Landowner = Ownership

    class ApplicantKind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        NGO = "ngo", _("NGO")

    PUBLIC_STATUSES = (
        Status.COLLECTING_SUPPORT,
        Status.SUBMITTED,
        Status.INELIGIBLE,
        Status.IN_ASSESSMENT,
        Status.REJECTED,
        Status.GRANTED,
        Status.AGREEMENT_SIGNED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
        Status.SUSTAINABILITY,
        Status.CLOSED,
        Status.REVOKED,
    )

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="proposals")
    grant_call = models.ForeignKey(GrantCall, on_delete=models.PROTECT, related_name="proposals")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    applicant_kind = models.CharField(
        _("applicant"), max_length=16, choices=ApplicantKind.choices, default="individual"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    site = models.ForeignKey(
        "sites.Site",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
        verbose_name=_("site it revitalises"),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, blank=True)
    # Always a point; for a drawn area, a point on its surface.
    geom = models.PointField(_("location"), srid=4326, null=True, blank=True, spatial_index=False)
    area = models.PolygonField(_("area"), srid=4326, null=True, blank=True, spatial_index=False)
    neighbour_involvement = models.TextField(_("how neighbours take part"), blank=True)
    maintenance_plan = models.TextField(_("maintenance plan"), blank=True)
    landowner = models.CharField(
        _("landowner"), max_length=16, choices=Landowner.choices, blank=True
    )
    consent_document = models.FileField(
        _("landowner consent"), upload_to="consents/%Y/", storage=private_storage, blank=True
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)  # private
    requested_amount = models.DecimalField(_("requested amount"), default=0, **MONEY)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=0)  # last saved version number
    # Active (not withdrawn) supports, kept by the support services with F() increments in
    # the same transaction: the maps, tiles and exports read it without a join.
    # hidden after a flag was upheld: out of every public page and interface, kept as it was
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    support_count = models.PositiveIntegerField(default=0, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    ineligible_reason = models.TextField(blank=True)
    # when it passed the formal check; kept whatever happens next (a withdrawal after it),
    # so the programme's figures count it as assessed (selectors.programme_figures)
    eligible_at = models.DateTimeField(null=True, blank=True, editable=False)
    granted_amount = models.DecimalField(null=True, blank=True, **MONEY)
    decided_at = models.DateTimeField(null=True, blank=True)
    # when the officers recorded the grant agreement (services.delivery.agreement_sign): costs
    # before it stand out on the project's page and in the call's expenses spreadsheet
    agreement_signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # the city's number for the agreement (its register), and the signed copy: private, for
    # the officers and the applicant (services.delivery.agreement_sign / agreement_correct)
    # (db_default: rows written by SQL, as the benchmarks seed them, need not name them)
    agreement_reference = models.CharField(
        _("agreement number"), max_length=100, blank=True, editable=False, default="", db_default=""
    )
    agreement_document = models.FileField(
        _("signed agreement"),
        upload_to="agreements/%Y/",
        storage=private_storage,
        blank=True,
        editable=False,
        default="",
        db_default="",
    )
    # a grant taken back by the city (services.grants.grant_revoke): the day it was decided
    # and why, which the proposal's public page says; the amount stays as it was granted
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revocation_reason = models.TextField(blank=True, editable=False, default="", db_default="")
    # when the area alerts were told it is funded (services.alerts.tell_grants)
    grant_told_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    sustainability_ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("proposal")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(geom__isnull=True) | Q(geom__isvalid=True),
                name="%(app_label)s_%(class)s_geom_is_valid",
            ),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__isvalid=True),
                name="%(app_label)s_%(class)s_area_is_valid",
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0), name="proposals_requested_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(granted_amount__isnull=True) | Q(granted_amount__gt=0),
                name="proposals_granted_positive",
            ),
        ]
        indexes = [
            GistIndex(fields=["geom"], name="proposals_proposal_geom_gist"),
            GistIndex(fields=["area"], name="proposals_proposal_area_gist"),
            models.Index(fields=["city", "status"], name="proposals_city_status_idx"),
            # the public list's order (newest submitted first): its first page read from
            # the index instead of sorting the city's proposals (36 ms -> 0.5 ms at 100,000)
            models.Index(
                fields=["city", "-submitted_at", "-published_at", "-id"],
                name="proposals_list_order_idx",
            ),
            # search words (`q`, wcs_fold(...) LIKE '%word%'): trigram indexes, so a search
            # reads the matching rows, not all of a city's proposals
            GinIndex(OpClass(Fold("title"), name="gin_trgm_ops"), name="proposals_title_trgm"),
            GinIndex(
                OpClass(Fold("description"), name="gin_trgm_ops"),
                name="proposals_description_trgm",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATUSES


class BudgetLine(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="budget_lines")
    position = models.PositiveSmallIntegerField(default=0)
    item = models.CharField(_("item"), max_length=200)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="proposals_budget_positive")
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.amount}"


class ProposalVersion(models.Model):
    """A frozen copy of what the committee assessed; every revision adds one."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    round_number = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=200)
    description = models.TextField()
    category = models.CharField(max_length=32)
    neighbour_involvement = models.TextField()
    maintenance_plan = models.TextField()
    budget = models.JSONField(default=list)  # [{"item": ..., "amount": "123.00"}]
    requested_amount = models.DecimalField(**MONEY)
    geom = models.PointField(srid=4326)
    area = models.PolygonField(srid=4326, null=True)

    class Meta:
        ordering = ["proposal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="proposals_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} v{self.number}"


def normalise_identity(full_name: str, address: str) -> str:
    """The key under which two supports count as the same person: case, accents, spacing
    and punctuation do not matter ("Jana Nováková, Nádražní 5" == "jana novakova nadrazni 5")."""
    import re
    import unicodedata

    text = f"{full_name}|{address}".casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ł", "l").replace("ø", "o").replace("đ", "d")
    return re.sub(r"[^\w|]+", " ", text).strip()


class SignatureSheet(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="sheets")
    file = models.FileField(upload_to="sheets/%Y/", storage=private_storage)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Support(models.Model):
    """One person's support of one proposal. Names and addresses are for officers only."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper signature sheet")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supports",
    )
    full_name = models.CharField(_("full name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    age_confirmed = models.BooleanField(default=False)
    identity_key = models.CharField(max_length=520)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ONLINE)
    sheet = models.ForeignKey(SignatureSheet, null=True, blank=True, on_delete=models.PROTECT)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # struck by an officer checking supporters (withdrawn_at is set too: it stops counting);
    # kept for the record with who and why (services.support.support_strike)
    struck_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    strike_reason = models.CharField(max_length=300, blank=True)
    # personal data (name, address) erased by retention or at the person's request
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # one active support per person per proposal, online or on paper
            models.UniqueConstraint(
                fields=["proposal", "user"],
                condition=Q(withdrawn_at__isnull=True, user__isnull=False),
                name="proposals_support_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["proposal", "identity_key"],
                condition=Q(withdrawn_at__isnull=True),
                name="proposals_support_one_per_identity",
            ),
            models.CheckConstraint(
                condition=Q(age_confirmed=True), name="proposals_support_age_confirmed"
            ),
        ]
        indexes = [models.Index(fields=["proposal", "withdrawn_at"], name="proposals_support_idx")]


class Follow(models.Model):
    """A signed-in person asked to be e-mailed when a proposal reaches its milestones (it is
    submitted, decided, built; services.following). Opt-in, ended by the person (one link in
    every such e-mail) or by the proposal's last milestone: nothing of it is kept after."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="proposals_follow_once")
        ]


def distance_label(metres: int) -> str:
    """250 m, 1 km: a distance as people say it."""
    if metres % 1000 == 0:
        return _("%(km)s km") % {"km": metres // 1000}
    return _("%(m)s m") % {"m": metres}


class AreaAlert(models.Model):
    """A signed-in person asked to be e-mailed when something new appears in a city, in one
    of its districts, or near a place they chose on its map: a proposal published there, a
    neglected site accepted there, a project completed there (services.alerts). Opt-in,
    ended by the person (a link in every such e-mail, or their proposals page) or with the
    account. The place is personal data (often someone's home): nobody else sees it."""

    RADII = (250, 500, 1000, 2000)  # metres around a chosen place

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="area_alerts"
    )
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    district = models.CharField(_("district"), max_length=120, blank=True)  # "": the whole city
    # or a place on the map and the distance around it (the district is then "")
    near = models.PointField(_("place"), srid=4326, null=True, blank=True, spatial_index=False)
    radius_m = models.PositiveIntegerField(_("distance (m)"), null=True, blank=True)
    proposals = models.BooleanField(_("new proposals"), default=True)
    sites = models.BooleanField(_("newly reported neglected sites"), default=False)
    # a sitting's grants in one e-mail, and each completed project
    projects = models.BooleanField(_("projects funded or completed"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "city", "district"],
                condition=Q(near__isnull=True),
                name="proposals_areaalert_once",
            ),
            models.UniqueConstraint(
                fields=["user", "city", "near", "radius_m"],
                condition=Q(near__isnull=False),
                name="proposals_areaalert_place_once",
            ),
            models.CheckConstraint(
                condition=Q(proposals=True) | Q(sites=True) | Q(projects=True),
                name="proposals_areaalert_something",
            ),
            models.CheckConstraint(
                condition=Q(near__isnull=True, radius_m__isnull=True)
                | Q(near__isnull=False, radius_m__gt=0, district=""),
                name="proposals_areaalert_place_or_district",
            ),
        ]

    def distance_label(self) -> str:
        return distance_label(self.radius_m) if self.radius_m else ""

    def kinds_label(self) -> str:
        """What it asks for, as a list of the fields' names ("new proposals, completed
        projects")."""
        chosen = [f for f in ("proposals", "sites", "projects") if getattr(self, f)]
        return ", ".join(str(self._meta.get_field(f).verbose_name) for f in chosen)

    def area_label(self) -> str:
        if self.near is not None:
            return _("%(distance)s around the place you chose") % {
                "distance": self.distance_label()
            }
        return self.district or self.city.name


class ConflictOfInterest(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="conflicts")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="proposals_conflict_unique")
        ]


class Score(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="scores")
    round_number = models.PositiveSmallIntegerField()
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField(validators=[MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "round_number", "member", "criterion"],
                name="proposals_score_unique",
            ),
            models.CheckConstraint(condition=Q(value__lte=5), name="proposals_score_0_5"),
        ]


class Feedback(models.Model):
    """Written feedback after a round; the applicant and the public see it once released."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="feedback")
    round_number = models.PositiveSmallIntegerField()
    text = models.TextField(_("feedback"))
    released_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["round_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "round_number"], name="proposals_feedback_unique"
            )
        ]


class FeedbackDraft(models.Model):
    """The officers' draft of a round's feedback, saved as they write it: never shown to the
    applicant or the public; released as Feedback, it is gone. One a round, last saved by
    one officer; `saved_at` tells a second officer's page that it changed meanwhile."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="feedback_drafts")
    round_number = models.PositiveSmallIntegerField()
    text = models.TextField()
    saved_at = models.DateTimeField(auto_now=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "round_number"], name="proposals_feedback_draft_unique"
            )
        ]

    @property
    def stamp(self) -> str:
        """What a page that showed this draft sends back, to tell a later save from it."""
        return self.saved_at.isoformat()


class Milestone(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]


class Expense(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="expenses")
    description = models.CharField(_("expense"), max_length=200)
    amount = models.DecimalField(_("amount"), **MONEY)
    spent_on = models.DateField(_("date"))
    receipt = models.FileField(_("receipt"), upload_to="receipts/%Y/", storage=private_storage)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["spent_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="proposals_expense_positive")
        ]


class WorkDay(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="work_days")
    date = models.DateField(_("date"))
    people = models.PositiveIntegerField(_("people"))
    hours = models.DecimalField(_("hours each"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["date", "id"]


class MaintenanceReport(models.Model):
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="maintenance_reports"
    )
    period = models.PositiveSmallIntegerField()  # 1 = first six months, ...
    text = models.TextField(_("what was done"))
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "period"], name="proposals_maintenance_unique"
            )
        ]


class CareNotice(models.Model):
    """A resident tells a project's maintainers, in its sustainability period, that something
    is broken or neglected (services.care). Not public: the applicant reads and answers it,
    the city's officers see both; the resident is e-mailed the answer. Erased, photo and
    all, SUPPORTER_DATA_RETENTION_DAYS after the period has ended
    (mapapp.privacy.apply_retention)."""

    TEXT_MAX = 2000

    class Abuse(models.TextChoices):
        """The applicant may report a notice as abusive; the city's officers then remove it
        or keep it (services.care). Reported, it waits for nobody's answer meanwhile."""

        NONE = "", _("Not reported")
        REPORTED = "reported", _("Reported as abusive by the applicant")
        KEPT = "kept", _("Kept by the city after the applicant's report")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="care_notices")
    # none once the resident's account is closed: the words stay for the maintainers
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="care_notices",
    )
    text = models.TextField(_("what is wrong"), max_length=TEXT_MAX)
    # not public like the words: private storage, handed out by proposals.views.files
    photo = models.ImageField(_("photo"), upload_to="care/%Y/", storage=private_storage, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("answer"), max_length=TEXT_MAX, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # answered by one of the city's officers (the applicant silent, or gone), not the applicant
    by_city = models.BooleanField(default=False, editable=False)
    # the applicant was reminded of it, unanswered (services.care.care_reminders_send): once
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Sent through an Open311 application (sites.open311) by someone without an account:
    # where and in which language the answer goes (personal data, as the words), the token the
    # application got, and the photo's address as the application gave it.
    open311_client = models.ForeignKey(
        "sites.Open311Client",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_notices",
    )
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    media_url = models.URLField(max_length=500, blank=True)
    abuse = models.CharField(max_length=8, choices=Abuse.choices, blank=True, default="")

    @classmethod
    def waiting(cls, prefix: str = "") -> Q:
        """Notices waiting for an answer (`prefix` "care_notices__" from a proposal): not
        answered, and not reported as abusive while the city decides. One positive filter,
        so that through the relation it holds for one and the same notice."""
        return Q(**{f"{prefix}answered_at__isnull": True,
                    f"{prefix}abuse__in": [cls.Abuse.NONE, cls.Abuse.KEPT]})  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # an answer has words and a date, or neither (the pages and e-mails rely on it)
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, answer="")
                | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="proposals_carenotice_answer_dated",
            ),
        ]


class DeadlineReminder(models.Model):
    """An e-mail reminding the applicant, before the call closes, that their proposal is
    not submitted yet (drafting.deadline_reminders_send, run daily): once per stage
    (SUBMIT_REMIND_DAYS, days before the deadline) of a deadline; a moved deadline is a new
    one."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="deadline_reminders"
    )
    deadline = models.DateTimeField()
    days = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "deadline", "days"], name="proposals_deadline_reminder_once"
            )
        ]


class ReportReminder(models.Model):
    """An e-mail reminding the applicant of one maintenance report: once in the week before
    it is due, once when it is overdue (delivery.report_reminders_send, run daily)."""

    class Kind(models.TextChoices):
        SOON = "soon", _("Due within a week")
        OVERDUE = "overdue", _("Overdue")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reminders")
    period = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "period", "kind"], name="proposals_report_reminder_once"
            )
        ]


class Photo(models.Model):
    class Kind(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")
        PROGRESS = "progress", _("Progress")
        MAINTENANCE = "maintenance", _("Maintenance")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    image = models.ImageField(upload_to="photos/%Y/")
    thumbnail = models.ImageField(upload_to="photos/%Y/thumbs/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    pair_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="paired"
    )  # an after photo taken from the viewpoint of this before photo
    report = models.ForeignKey(
        MaintenanceReport, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
