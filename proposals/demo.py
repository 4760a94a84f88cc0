"""Demo programme for each demo city: an open call, a finished one and an earlier one whose
project has been through its two years of care, with proposals in every state, placed
inside the real boundary. Everything goes through the services, so the audit log and
timelines are real. Idempotent: a city that has its demo calls is skipped."""

from __future__ import annotations

import io
import json
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from mapapp.flags import flag_review
from mapapp.models import City, Flag, Role, User
from proposals.models import GrantCall, MaintenanceReport, Proposal
from proposals.services import (
    alerts,
    assessment,
    calls,
    care,
    delivery,
    drafting,
    following,
    grants,
    organisations,
    support,
)

DEMO_MARK = "demo"  # GrantCall.description["demo"] marks demo calls

ANCHORS = {"koszalin": (16.1817, 54.1903), "ostrava": (18.2925, 49.8355)}

TITLES = {
    "open": {
        "en": "We Create Space 2027",
        "pl": "Tworzymy przestrzeń 2027",
        "cs": "Tvoříme prostor 2027",
    },
    "past": {
        "en": "We Create Space 2025",
        "pl": "Tworzymy przestrzeń 2025",
        "cs": "Tvoříme prostor 2025",
    },
    "earlier": {
        "en": "We Create Space 2023",
        "pl": "Tworzymy przestrzeń 2023",
        "cs": "Tvoříme prostor 2023",
    },
}

# the finished calls' windows; the calls' other dates follow from them
# first and last days, in the city's time: a call opens at midnight and closes at 23:59 there
WINDOWS = {
    "earlier": (date(2023, 3, 1), date(2023, 5, 31)),
    "past": (date(2025, 3, 1), date(2025, 5, 31)),
}
# the 2023 project's works: done by the autumn of 2024, so its sustainability period (24
# months, the programme's) has ended by the time anyone runs the demo
EARLIER_WORK_DAY = date(2024, 6, 15)
EARLIER_COMPLETED = datetime(2024, 9, 30, 10, tzinfo=UTC)

# (target state, call, category, Polish title, Czech title, offset east/north in ~100 m steps)
PROJECTS = [
    ("draft", "open", "playground", "Plac zabaw przy szkole", "Hřiště u školy", (2, 1)),
    (
        "collecting_support",
        "open",
        "community_garden",
        "Ogród społeczny na Wańkowicza",
        "Komunitní zahrada v Porubě",
        (-3, 2),
    ),
    (
        "submitted",
        "open",
        "seating",
        "Ławki i stoły przy stawie",
        "Lavičky a stoly u rybníka",
        (4, -2),
    ),
    ("withdrawn", "open", "art", "Mural na garażach", "Mural na garážích", (-2, -3)),
    (
        "ineligible",
        "past",
        "sport",
        "Boisko do siatkówki plażowej",
        "Hřiště na plážový volejbal",
        (6, 3),
    ),
    ("in_assessment", "past", "greenery", "Szpaler lip przy ulicy", "Lipová alej v ulici", (-6, 1)),
    ("rejected", "past", "other", "Budka na książki", "Knihobudka", (1, 6)),
    (
        "granted",
        "past",
        "rain_garden",
        "Ogród deszczowy przy bibliotece",
        "Dešťová zahrada u knihovny",
        (-1, -6),
    ),
    (
        "agreement_signed",
        "past",
        "seating",
        "Miejsce piknikowe nad rzeką",
        "Piknikové místo u řeky",
        (7, -4),
    ),
    (
        "in_progress",
        "past",
        "community_garden",
        "Warzywnik sąsiedzki",
        "Sousedská zeleninová zahrada",
        (-7, -2),
    ),
    ("completed", "past", "playground", "Naturalny plac zabaw", "Přírodní hřiště", (3, 7)),
    (
        "sustainability",
        "past",
        "greenery",
        "Łąka kwietna w parku",
        "Květnatá louka v parku",
        (-4, 7),
    ),
    ("closed", "earlier", "art", "Rzeźba z wikliny", "Proutěná socha", (5, 5)),
    # granted, then the grant revoked: the landowner withdrew consent before the agreement
    ("revoked", "past", "sport", "Siłownia pod chmurką", "Venkovní posilovna", (-5, -5)),
    # gathering support when the 2025 call closed, never submitted
    ("expired", "past", "greenery", "Zielony dach przystanku", "Zelená střecha zastávky", (2, -5)),
]

PAST_SCORES = {
    "revoked": 3,
    "ineligible": None,
    "in_assessment": 3,
    "rejected": 2,
    "granted": 5,
    "agreement_signed": 5,
    "in_progress": 4,
    "completed": 4,
    "sustainability": 4,
    "closed": 4,
}


def _photo(color: str, label: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 600), color)
    ImageDraw.Draw(image).text((20, 20), label, fill="white")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return SimpleUploadedFile(f"{label}.jpg", out.getvalue(), content_type="image/jpeg")


def _square(lon: float, lat: float) -> str:
    d_lon, d_lat = 0.0005, 0.0003  # about 35 x 33 m
    ring = [
        [lon, lat],
        [lon + d_lon, lat],
        [lon + d_lon, lat + d_lat],
        [lon, lat + d_lat],
        [lon, lat],
    ]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _user(email: str, city: City, role: str | None) -> User:
    from mapapp.demo import DEMO_PASSWORD
    from mapapp.services import user_ensure_demo

    user, _ = user_ensure_demo(
        email=email, password=DEMO_PASSWORD, roles=[(city, role)] if role else []
    )
    return user


def _window(city: City, first: date, last: date) -> tuple[datetime, datetime]:
    """A call's opening and closing moments for its first and last days, in the city's time
    (as an officer would set them), not midnight UTC (01:00 or 02:00 on the pages)."""
    zone = zoneinfo.ZoneInfo(city.time_zone)
    return datetime.combine(first, time(0), zone), datetime.combine(last, time(23, 59), zone)


def _set_window(call: GrantCall, first: date, last: date) -> None:
    opens, closes = _window(call.city, first, last)
    GrantCall.objects.filter(pk=call.pk).update(opens_at=opens, closes_at=closes)
    call.refresh_from_db()


def _assess(call: GrantCall, proposals: dict[str, Proposal], *, officer, committee) -> None:
    """A finished call's formal checks and its three rounds of scores, with feedback."""
    scored = []
    for state, p in proposals.items():
        if state not in PAST_SCORES:  # not submitted: expired when the call closed
            continue
        value = PAST_SCORES[state]
        if value is None:
            assessment.proposal_formal_check(
                actor=officer, proposal=p, eligible=False, reason="Demo: the land is not public."
            )
        else:
            assessment.proposal_formal_check(actor=officer, proposal=p, eligible=True)
            scored.append((p, value))
    criteria = list(call.criteria.all())
    for round_number in range(1, call.rounds + 1):
        assessment.round_open(actor=officer, grant_call=call)
        for p, value in scored:
            for n, member in enumerate(committee):
                said = f"Demo comment of member {n + 1} in round {round_number}."
                assessment.scores_save(  # two members comment on the first criterion
                    member=member,
                    proposal=p,
                    scores={
                        c.pk: (value, said if n < 2 and c == criteria[0] else "") for c in criteria
                    },  # fmt: skip
                )
        assessment.round_close(actor=officer, grant_call=call)
        if round_number < call.rounds:
            for p, _ in scored:
                assessment.feedback_release(
                    actor=officer, proposal=p, text=f"Demo feedback after round {round_number}."
                )


@transaction.atomic
def load_demo_programme(city: City) -> bool:
    """Returns False when the city already has its demo programme."""
    if GrantCall.objects.filter(city=city, description__has_key=DEMO_MARK).exists():
        return False
    lang = city.default_language
    officer = _user("officer@example.org", city, Role.PROGRAMME_OFFICER)
    resident = _user("resident@example.org", city, Role.RESIDENT)
    committee = [_user("committee@example.org", city, Role.COMMITTEE_MEMBER)] + [
        _user(f"committee{i}@example.org", city, Role.COMMITTEE_MEMBER) for i in range(2, 7)
    ]
    neighbours = [_user(f"neighbour{i:02d}@example.org", city, None) for i in range(1, 19)]
    now = timezone.now()
    today = city.local_date(now)
    budget = Decimal("500000") if city.currency == "CZK" else Decimal("100000")
    cap = budget / 5
    made_calls = {}
    opens, closes = _window(city, today - timedelta(days=30), today + timedelta(days=60))
    for key in ("open", "past", "earlier"):
        call = calls.grant_call_create(
            actor=officer,
            city=city,
            title=TITLES[key],
            opens_at=opens,
            closes_at=closes,
            total_budget=budget,
            project_cap=cap,
            publish_scores=key != "open",  # the finished calls show the scores in public
            description={
                DEMO_MARK: True,
                "en": "Demo call: small grants for projects in public space.",
                "pl": "Nabór demonstracyjny: małe granty na projekty w przestrzeni publicznej.",
                "cs": "Ukázková výzva: malé granty na projekty ve veřejném prostoru.",
            },
        )
        calls.grant_call_set_committee(actor=officer, grant_call=call, members=committee)
        made_calls[key] = call

    anchor_lon, anchor_lat = ANCHORS.get(
        city.slug, (city.boundary.point_on_surface.x, city.boundary.point_on_surface.y)
    )
    made: dict[str, Proposal] = {}
    for i, (state, call_key, category, title_pl, title_cs, (dx, dy)) in enumerate(PROJECTS):
        call = made_calls[call_key]
        title = title_pl if lang == "pl" else title_cs if lang == "cs" else title_pl
        p = drafting.proposal_create_draft(author=resident, grant_call=call)
        amount = (cap * Decimal(40 + 4 * i) / 100).quantize(Decimal("1"))
        p = drafting.proposal_save(
            actor=resident,
            proposal=p,
            fields={
                "title": title,
                "category": category,
                "description": f"{title}: demo.",
                "neighbour_involvement": "Demo: neighbours build it together.",
                "maintenance_plan": "Demo: a rota of neighbours looks after it.",
                "landowner": "city",
            },
            budget_lines=[
                ("Materials", str(amount * 3 / 4)),
                ("Tools and transport", str(amount / 4)),
            ],
            area_geojson=_square(anchor_lon + dx * 0.004, anchor_lat + dy * 0.0025),
            consent_document=SimpleUploadedFile(
                "consent.pdf", b"%PDF-1.4 demo consent", "application/pdf"
            ),
        )
        if state == "draft":
            made[state] = p
            continue
        drafting.proposal_publish(actor=resident, proposal=p)
        supporters = neighbours[: 6 if state in ("collecting_support", "expired") else 16]
        for n, person in enumerate(supporters):
            support.support_add(
                user=person,
                proposal=p,
                full_name=f"Demo Neighbour {n + 1}",
                address=f"Demo Street {n + 1}",
                age_confirmed=True,
            )
        if state not in ("collecting_support", "expired"):
            drafting.proposal_submit(actor=resident, proposal=p)
        if state == "withdrawn":
            drafting.proposal_withdraw(actor=resident, proposal=p, note="Demo: withdrawn.")
        made[state] = p

    # The demo's NGO representative is verified for a demo association; another request
    # waits in the officers' queue.
    ngo = _user("ngo@example.org", city, Role.NGO_REPRESENTATIVE)
    names = {"pl": "Stowarzyszenie Sąsiedzi (demo)", "cs": "Spolek Sousedé (demo)"}
    # numbers as the country's register writes them, far beyond those given so far
    numbers = {"PL": ("KRS 0009999991", "KRS 0009999992"), "CZ": ("99999901", "99999919")}
    first, second = numbers.get(city.country, (f"DEMO-{city.slug}-1", f"DEMO-{city.slug}-2"))
    verified = organisations.representation_request(
        user=ngo, city=city, name=names.get(lang, "Neighbours' association (demo)"),
        registration_number=first, role="Chair",
    )  # fmt: skip
    organisations.representation_decide(actor=officer, representative=verified, verify=True)
    organisations.representation_request(
        user=neighbours[1], city=city, name="Klub seniorů (demo)" if lang == "cs" else
        "Klub Seniora (demo)", registration_number=second,
        role="Member",
    )  # fmt: skip

    # A neighbour follows two proposals by e-mail (listed on their "my proposals" page).
    for state in ("collecting_support", "submitted"):
        following.follow(user=neighbours[0], proposal=made[state])
    # ... and asks for news of the whole city by e-mail (proposals and neglected sites).
    alerts.alert_set(user=neighbours[0], city=city, district="", proposals=True, sites=True)

    # The demo's neighbours all sign at once, which raises the automatic support-burst flag
    # on every proposal; the officer has checked all but the newest submission's.
    for state, p in made.items():
        if state == "submitted":
            continue
        for flag in Flag.objects.filter(
            target_type=Flag.Target.PROPOSAL, target_id=p.pk, state=Flag.State.OPEN
        ):
            flag_review(
                actor=officer, flag=flag, uphold=False, note="Demo: signed at a street party."
            )

    # The finished calls: their windows pass, then checks, three rounds, decisions, delivery.
    for key, (first, last) in WINDOWS.items():
        call = made_calls[key]
        _set_window(call, first, last)
        drafting.expire_unsubmitted(grant_call=call)
        in_call = {state: made[state] for state, call_key, *_ in PROJECTS if call_key == key}
        _assess(call, in_call, officer=officer, committee=committee)
    for state in (
        "granted",
        "agreement_signed",
        "in_progress",
        "completed",
        "sustainability",
        "closed",
        "revoked",
    ):
        p = made[state]
        grants.proposal_decide(actor=officer, proposal=p, granted=True, amount=p.requested_amount)
    grants.grant_revoke(actor=officer, proposal=made["revoked"],
                        reason="Demo: the landowner withdrew the consent.")  # fmt: skip
    grants.proposal_decide(
        actor=officer, proposal=made["rejected"], granted=False, note="Demo: lower score."
    )
    for key, (first, _last) in WINDOWS.items():  # the board's resolution, on the results
        calls.grant_call_decision_record(
            actor=officer, grant_call=made_calls[key], reference=f"Demo {first.year}/1"
        )
    for state in ("agreement_signed", "in_progress", "completed", "sustainability", "closed"):
        p = made[state]
        delivery.agreement_sign(actor=officer, proposal=p, reference=f"DEMO-{p.pk}")
    for state in ("in_progress", "completed", "sustainability", "closed"):
        p = made[state]
        delivery.works_start(actor=resident, proposal=p)
        day = EARLIER_WORK_DAY if state == "closed" else city.local_date()
        delivery.work_day_add(actor=resident, proposal=p, day=day, people=14, hours=Decimal("4"))
    # a day recorded twice by mistake, and removed: the officers' page of the project lists it
    twice = delivery.work_day_add(actor=resident, proposal=made["sustainability"],
                                  day=city.local_date(), people=14, hours=Decimal("4"))  # fmt: skip
    delivery.work_day_remove(actor=resident, work_day=twice)
    viewpoint = {  # the caption of a before/after pair, in the city's language
        "pl": "Widok od wejścia do parku",
        "cs": "Pohled od vstupu do parku",
    }.get(city.default_language, "From the park's entrance")
    for state in ("completed", "sustainability", "closed"):
        p = made[state]
        before = delivery.photo_add(
            actor=resident,
            proposal=p,
            kind="before",
            upload=_photo("#7a6f5a", "before"),
            caption=viewpoint,
        )
        delivery.photo_add(
            actor=resident,
            proposal=p,
            kind="after",
            upload=_photo("#3f7a3a", "after"),
            caption=viewpoint,
            pair_of=before,
        )
        delivery.completion_report(actor=resident, proposal=p)
    delivery.completion_accept(actor=officer, proposal=made["sustainability"])
    # neighbours tell its maintainers what they found: one answered, one waiting
    kept = made["sustainability"]
    told = care.care_notice_add(
        user=neighbours[0],
        proposal=kept,
        text="Demo: a plank of the bench is loose.",
        photo=_photo("#8a6a3c", "loose plank"),
    )
    care.care_notice_answer(
        actor=resident, notice=told, answer="Demo: screwed tight on Saturday, thank you."
    )
    care.care_notice_add(
        user=neighbours[1], proposal=kept, text="Demo: the bin by the gate is full again."
    )
    # The 2023 project: finished in 2024, looked after for its two years, every report filed
    # (two with a photo: the completed project's page shows them), then closed.
    closed = made["closed"]
    Proposal.objects.filter(pk=closed.pk).update(completed_at=EARLIER_COMPLETED)
    closed.refresh_from_db()
    delivery.completion_accept(actor=officer, proposal=closed)
    for n, due in enumerate(delivery.report_due_dates(closed), start=1):
        report = delivery.maintenance_report_file(
            actor=resident,
            proposal=closed,
            text=f"Demo: report {n}, all well.",
            photos=[_photo("#4f8a3c", f"maintenance {n}")] if n in (1, 4) else [],
        )
        filed = datetime.combine(due - timedelta(days=3), time(10), tzinfo=UTC)  # on time
        MaintenanceReport.objects.filter(pk=report.pk).update(filed_at=filed)
    delivery.proposal_close(actor=officer, proposal=closed)
    return True
