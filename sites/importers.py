"""Importers of site registers: core functions with no interface code (the management
command and the demo loader call them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction
from django.utils.translation import gettext as _

from mapapp.models import City
from mapapp.selectors import points_inside
from sites.classification import classify_condition, classify_ownership
from sites.models import Site

OSTRAVA_SPORT_FIELDS = "ostrava-sport-fields"


@dataclass
class ImportResult:
    read: int = 0
    created: int = 0
    updated: int = 0
    not_sites: int = 0
    outside: int = 0


@transaction.atomic
def import_ostrava_sport_fields(*, city: City, path: str | Path) -> ImportResult:
    """Ostrava's register of sport fields and playgrounds (data.ostrava.cz): those in a poor
    state become neglected sites, those awaiting reconstruction sites being revitalised
    (sites.classification). Running it again updates, never duplicates; features outside
    the city are refused and counted."""
    import geopandas
    import shapely

    frame = geopandas.read_file(path, engine="pyogrio")
    if frame.crs is None:
        raise ValueError(f"{Path(path).name} declares no CRS")
    frame = frame.to_crs(epsg=4326)
    result = ImportResult(read=len(frame))

    def text(value) -> str:
        return value.strip() if isinstance(value, str) else ""  # NaN for missing values

    candidates = []
    for row in frame.itertuples():
        condition, _rule = classify_condition(row.TECH_STAV)
        if condition is None:
            result.not_sites += 1
            continue
        geom = GEOSGeometry(memoryview(shapely.to_wkb(shapely.force_2d(row.geometry))), srid=4326)
        candidates.append((row, condition, geom))
    inside = points_inside(city=city, points=[geom for _, _, geom in candidates])
    for (row, condition, geom), is_inside in zip(candidates, inside, strict=True):
        if not is_inside:
            result.outside += 1
            continue
        external_id = str(int(row.OBJECTID))
        description = "\n".join(
            part for part in (text(row.ADRESA), f"Technický stav: {text(row.TECH_STAV)}") if part
        )
        _, created = Site.objects.update_or_create(
            city=city,
            source=OSTRAVA_SPORT_FIELDS,
            external_id=external_id,
            defaults={
                "name": text(row.NAZEV)[:200] or f"#{external_id}",
                "description": description,
                "geom": geom,
                "condition": condition,
                "ownership": classify_ownership(row.VLASTNIK),
                "district": text(row.OBVOD),
                "moderation": Site.Moderation.ACCEPTED,
            },
        )
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


# --- completed projects from before the platform -------------------------------------

INTERVENTION_FIELDS = ("title", "completed", "category", "description", "cost", "maintainer",
                       "before_photos", "after_photos", "photo_captions")  # fmt: skip
PHOTO_SEPARATOR = ";"  # several pairs in one row: "a.jpg; b.jpg" and "a2.jpg; b2.jpg"


@dataclass
class SourcePair:
    """A before/after pair named by an imported row: checked, not yet decoded or stored."""

    before: Path
    after: Path
    caption: str
    ref: str  # the two files' digest: PhotoPair.source_ref


@dataclass
class InterventionImport:
    read: int = 0
    created: int = 0
    updated: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row number, why)
    pairs_added: int = 0
    pairs_kept: int = 0
    pairs_removed: int = 0


def _source_pairs(row_values: dict, folder: Path, max_pairs: int) -> list[SourcePair]:
    """The row's before/after photos: file names relative to `folder` (the data file's,
    or --photos), several separated by ";", paired in order. Each must be a JPEG, PNG or
    WebP image inside that folder. Raises ValueError with the reason."""
    import hashlib

    from django.core.exceptions import ValidationError
    from django.core.files import File

    from mapapp.images import check_image

    def names(key):
        text = str(row_values.get(key) or "")
        return [n.strip() for n in text.split(PHOTO_SEPARATOR) if n.strip()]

    befores, afters = names("before_photos"), names("after_photos")
    if len(befores) != len(afters):
        raise ValueError(
            _("%(before)s before photos but %(after)s after photos")
            % {"before": len(befores), "after": len(afters)}
        )
    if len(befores) > max_pairs:
        raise ValueError(
            _("%(n)s photo pairs: at most %(max)s") % {"n": len(befores), "max": max_pairs}
        )
    captions = [
        c.strip() for c in str(row_values.get("photo_captions") or "").split(PHOTO_SEPARATOR)
    ]
    root = folder.resolve()
    pairs = []
    for n, (before, after) in enumerate(zip(befores, afters, strict=True)):
        paths, digest = [], hashlib.sha256()
        for name in (before, after):
            path = (root / name).resolve()
            if not path.is_relative_to(root):
                raise ValueError(_("photo %(name)s: outside the photos folder") % {"name": name})
            if not path.is_file():
                raise ValueError(_("photo %(name)s: no such file") % {"name": name})
            with path.open("rb") as handle:
                try:
                    check_image(File(handle, name=path.name))
                except ValidationError as error:
                    why = " ".join(error.messages)
                    raise ValueError(
                        _("photo %(name)s: %(why)s") % {"name": name, "why": why}
                    ) from None
                handle.seek(0)
                for block in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(block)
            paths.append(path)
        caption = captions[n] if n < len(captions) else ""
        pairs.append(SourcePair(paths[0], paths[1], caption[:200], digest.hexdigest()[:64]))
    return pairs


def _prepare_source_pairs(city, rows, stored: list[str], progress) -> dict:
    """The new pairs of every row, decoded, re-encoded (no metadata) and written to storage
    before the import's transaction opens, so that the slow part holds no locks: returns
    {(row number, pair ref): unsaved PhotoPair}. Pairs a row's project already has from an
    earlier import are not prepared again. The names of files written are appended to
    `stored`, for the caller to delete if the import fails."""
    from django.core.files import File

    from sites.models import PhotoPair
    from sites.services import _processed_pair

    known = set(
        PhotoPair.objects.filter(intervention__city=city,
                                 intervention__source_ref__in=[r[0][:100] for r in rows])
        .exclude(source_ref="").values_list("intervention__source_ref", "source_ref")
    )  # fmt: skip
    todo = [(ref, number, item) for ref, number, pairs, _defaults in rows for item in pairs
            if (ref[:100], item.ref) not in known]  # fmt: skip
    prepared = {}
    for done, (_ref, number, item) in enumerate(todo, start=1):
        with item.before.open("rb") as before, item.after.open("rb") as after:
            processed = _processed_pair(
                File(before, name=item.before.name), File(after, name=item.after.name),
                item.caption,
            )  # fmt: skip
        new_before, new_after, caption = processed
        pair = PhotoPair(caption=caption, source_ref=item.ref)
        pair.before.save(new_before.display.name, new_before.display, save=False)
        stored.append(pair.before.name)
        pair.after.save(new_after.display.name, new_after.display, save=False)
        stored.append(pair.after.name)
        prepared[(number, item.ref)] = pair
        progress("photos", done, len(todo))
    return prepared


SAVE_BATCH = 500  # rows a statement, when an import's rows are written


def _save_rows(city: City, rows: list) -> tuple[list, dict]:
    """The rows' interventions written in batches: those the city has under the same key
    updated (locked first, as update_or_create would), the others created. Returns
    [(intervention, created)] in the rows' order, and the existing ones' photo pairs by
    intervention id, read in one query."""
    from collections import defaultdict

    from sites.models import Intervention, PhotoPair

    refs = [ref[:100] for ref, *_rest in rows]
    existing = {
        i.source_ref: i
        for i in Intervention.objects.select_for_update().filter(city=city, source_ref__in=refs)
    }
    saved, new, changed = [], [], []
    for ref, (_ref, _number, _pairs, defaults) in zip(refs, rows, strict=True):
        obj = existing.get(ref)
        if obj is None:
            obj = Intervention(city=city, source_ref=ref, **defaults)
            new.append(obj)
        else:
            for name, value in defaults.items():
                setattr(obj, name, value)
            changed.append(obj)
        saved.append((obj, obj.pk is None))
    Intervention.objects.bulk_create(new, batch_size=SAVE_BATCH)
    if changed:
        Intervention.objects.bulk_update(changed, fields=list(rows[0][3]), batch_size=SAVE_BATCH)
    pairs_of = defaultdict(list)
    for pair in PhotoPair.objects.filter(intervention__in=changed):
        pairs_of[pair.intervention_id].append(pair)
    return saved, pairs_of


def _store_source_pairs(
    intervention, number: int, pairs: list[SourcePair], prepared: dict, existing: list
) -> tuple:
    """The row's pairs on its intervention: new ones from `prepared` (their files already
    written), those imported before and listed again kept, those imported before and no
    longer listed removed (after the commit); pairs added by hand stay. `existing`: the
    intervention's pairs as they were. Returns (added, kept, removed)."""
    from sites.services import MAX_PHOTOS, pair_delete

    imported = {p.source_ref: p for p in existing if p.source_ref}
    by_hand = sum(1 for p in existing if not p.source_ref)
    if by_hand + len(pairs) > MAX_PHOTOS:
        raise ValueError(
            _("%(n)s photo pairs and %(by_hand)s added by hand: at most %(max)s")
            % {"n": len(pairs), "by_hand": by_hand, "max": MAX_PHOTOS}
        )
    added = kept = 0
    for position, item in enumerate(pairs):
        pair = imported.pop(item.ref, None)
        if pair is not None:
            if (pair.caption, pair.position) != (item.caption, position):
                pair.caption, pair.position = item.caption, position
                pair.save(update_fields=["caption", "position"])
            kept += 1
            continue
        pair = prepared.get((number, item.ref))
        if pair is None:  # it was here when the photos were prepared, removed since
            raise ValueError(_("its photos were changed during the import: import again"))
        pair.intervention, pair.position = intervention, position
        pair.save()
        added += 1
    for gone in imported.values():
        pair_delete(gone)
    return added, kept, len(imported)


_IMPORT_LOCK = 0x5343  # pg_advisory_xact_lock's first key: "intervention imports"


class ImportRefused(ValueError):
    """The file has rows that cannot be imported; nothing was written."""

    def __init__(self, refused: list[tuple[int, str]]):
        self.refused = refused
        lines = [f"row {n}: {why}" for n, why in refused[:50]]
        more = f"\n... and {len(refused) - 50} more" if len(refused) > 50 else ""
        super().__init__("\n".join(lines) + more)


def _completed(value) -> date:
    """A date (any the file's driver gives, or YYYY-MM-DD text), or a year alone, read as
    the last day of that year."""
    import pandas

    if value is None or (isinstance(value, float) and value != value):
        raise ValueError(_("no date"))
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        year = int(float(value))
        if 1900 <= year <= 2100:
            return date(year, 12, 31)
        raise ValueError(_("%(value)s is not a year") % {"value": value})
    if isinstance(value, pandas.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(
            _("“%(value)s” is neither a date (YYYY-MM-DD) nor a year") % {"value": str(value)[:40]}
        ) from None


def _cost(value) -> Decimal:
    """A cost as the file has it: a spreadsheet's number, or text read as people type
    amounts (mapapp.amounts: "12 000 Kč", "1 250,50", "1,250.50"; "1.500", which reads two
    ways, is refused rather than taken for one and a half)."""
    from mapapp.amounts import AmountError, parse_amount

    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        cost = Decimal(str(value))
    else:
        try:
            cost = parse_amount(str(value))
        except AmountError as error:
            raise ValueError(
                _("cost %(value)s is not an amount") % {"value": str(value)[:40]}
                + (f" ({error.message})" if error.ambiguous else "")
            ) from None
    if not cost.is_finite() or cost < 0 or cost >= 10**10:
        raise ValueError(_("cost %(value)s is not an amount") % {"value": str(value)[:40]})
    return cost.quantize(Decimal("0.01"))


def import_interventions(
    *,
    city: City,
    path: str | Path,
    fields: dict[str, str] | None = None,
    id_field: str | None = None,
    srid: int | None = None,
    sustainability_months: int = 24,
    skip_invalid: bool = False,
    photos_dir: str | Path | None = None,
    actor=None,
    progress=None,
    before_commit=None,
) -> InterventionImport:
    """Completed projects made before the city used the platform (earlier calls, other
    funding), from any file GDAL reads (GeoPackage, GeoJSON, Shapefile), so that the public
    before/after map shows them from the first day. `fields` maps INTERVENTION_FIELDS to the
    file's column names (same names by default). Points, or polygons (their area is kept,
    their point is a point on the surface); each must lie in the city, as an officer's
    would (sites.services). Rows that cannot be read are listed by number; then nothing is
    written, unless `skip_invalid` (the others are imported). Importing again updates the
    rows it made (by `id_field`, else by title and date), never duplicates them.

    Before/after photos come with the file when its rows name them (`before_photos`,
    `after_photos`, optional `photo_captions`; several pairs separated by ";"): files in
    `photos_dir` (default: the data file's folder), checked with the row (a missing or
    unreadable photo is that row's refusal), stored without their metadata like an
    officer's upload. Importing again keeps the pairs already imported, adds new ones and
    drops those the file no longer names; pairs officers added by hand stay. New photos are
    re-encoded and written before the transaction that stores the rows opens; if the import
    fails, they are deleted again.

    `actor` is recorded in the audit log (None: a command run on the server); `progress`,
    if given, is called as progress(stage, done, total) with stage "rows" (checking each
    row and its photos), "photos" (re-encoding new photos) and "saving". `before_commit`,
    if given, is called as before_commit(result) inside the transaction that stores the rows,
    once they are all in: what it records commits with them, and an exception it raises
    rolls them back."""
    import hashlib

    import geopandas
    import shapely
    from django.core.exceptions import ValidationError

    from proposals.geometry import check_location
    from proposals.models import Proposal
    from proposals.services.delivery import add_months
    from sites.services import MAX_PHOTOS, SITE_MAX_AREA_M2, SITE_MAX_VERTICES

    progress = progress or (lambda stage, done, total: None)
    names = {key: key for key in INTERVENTION_FIELDS} | (fields or {})
    folder = Path(photos_dir) if photos_dir else Path(path).resolve().parent
    frame = geopandas.read_file(path, engine="pyogrio")
    if frame.crs is None:
        if srid is None:
            raise ValueError(
                _("%(file)s declares no coordinate system: give its EPSG code")
                % {"file": Path(path).name}
            )
        frame = frame.set_crs(epsg=srid)
    frame = frame.to_crs(epsg=4326)
    missing = [names[k] for k in ("title", "completed") if names[k] not in frame.columns]
    if id_field and id_field not in frame.columns:
        missing.append(id_field)
    if missing:
        raise ValueError(
            _("no column %(missing)s (the file's columns: %(columns)s)")
            % {"missing": ", ".join(missing), "columns": ", ".join(map(str, frame.columns))}
        )
    categories = {c.lower(): c for c in Proposal.Category.values}
    result = InterventionImport(read=len(frame))
    rows = []

    def value(row, key, column=None):
        column = column or names[key]
        item = row.get(column) if column in frame.columns else None
        return None if item is None or (isinstance(item, float) and item != item) else item

    seen: dict[str, int] = {}  # each row's key: its first row
    for number, (_index, row) in enumerate(frame.iterrows(), start=1):
        progress("rows", number - 1, len(frame))
        try:
            title = str(value(row, "title") or "").strip()
            if not title:
                raise ValueError(_("no title"))
            completed = _completed(value(row, "completed"))
            geometry = row.geometry
            if geometry is None or geometry.is_empty:
                raise ValueError(_("no geometry"))
            geometry = shapely.force_2d(geometry)
            kind = geometry.geom_type
            if kind not in ("Point", "Polygon", "MultiPolygon"):
                raise ValueError(
                    _("a point or a polygon is expected, not a %(kind)s") % {"kind": kind}
                )
            is_point = kind == "Point"
            try:
                location = check_location(
                    city=city, max_area_m2=SITE_MAX_AREA_M2, max_vertices=SITE_MAX_VERTICES,
                    point=geometry if is_point else None, area=None if is_point else geometry,
                )  # fmt: skip
            except ValidationError as error:
                raise ValueError(" ".join(error.messages)) from None
            cost = value(row, "cost")
            category = str(value(row, "category") or "").strip().lower()
            ref = str(value(row, None, column=id_field) or "") if id_field else None
            if not ref:
                ref = "auto:" + hashlib.sha256(f"{title}|{completed}".encode()).hexdigest()[:20]
            first = seen.setdefault(ref[:100], number)
            if first != number:  # else the second row would silently overwrite the first
                if ref.startswith("auto:"):
                    raise ValueError(
                        _("the same title and date as row %(row)s: give the file a column that "
                          "identifies each project") % {"row": first}
                    )  # fmt: skip
                raise ValueError(_("the same id as row %(row)s") % {"row": first})
            pairs = _source_pairs(
                {key: value(row, key) for key in ("before_photos", "after_photos",
                                                  "photo_captions")},
                folder, MAX_PHOTOS,
            )  # fmt: skip
            rows.append(
                (
                    ref,
                    number,
                    pairs,
                    {
                        "title": title[:200],
                        "description": str(value(row, "description") or "").strip(),
                        "category": categories.get(category, Proposal.Category.OTHER),
                        "geom": location.point,
                        "area": None if is_point else MultiPolygon(location.area, srid=4326),
                        "completed_on": completed,
                        "cost": _cost(cost),
                        "maintainer": str(value(row, "maintainer") or "").strip()[:200],
                        "sustainability_ends_on": add_months(completed, sustainability_months),
                    },
                )
            )
        except (ValueError, TypeError, ArithmeticError) as error:
            result.refused.append((number, str(error)))
    if result.refused and not skip_invalid:
        raise ImportRefused(result.refused)
    progress("rows", len(frame), len(frame))
    stored: list[str] = []  # photo files written: deleted again if the import fails
    try:
        prepared = _prepare_source_pairs(city, rows, stored, progress)
        progress("saving", 0, len(rows))
        with transaction.atomic():
            _one_import_at_a_time(city)
            saved, pairs_of = _save_rows(city, rows)  # a few statements, not a few a row
            result.created = sum(created for _obj, created in saved)
            result.updated = len(saved) - result.created
            for (obj, _created), (_ref, number, pairs, _defaults) in zip(saved, rows, strict=True):
                try:
                    added, kept, removed = _store_source_pairs(
                        obj, number, pairs, prepared, pairs_of.get(obj.pk, [])
                    )
                except (ValueError, ValidationError) as error:
                    why = " ".join(getattr(error, "messages", [str(error)]))
                    raise ImportRefused([(number, why)]) from error
                result.pairs_added += added
                result.pairs_kept += kept
                result.pairs_removed += removed
            from mapapp.audit import audit_record

            audit_record(
                actor=actor, action="intervention.import", obj=city, city=city,
                after={"file": Path(path).name, "created": result.created,
                       "updated": result.updated, "refused": len(result.refused),
                       "pairs_added": result.pairs_added,
                       "pairs_removed": result.pairs_removed},
            )  # fmt: skip
            if before_commit:
                before_commit(result)
    except BaseException:
        from django.core.files.storage import default_storage

        for name in stored:  # nothing half-saved: the rows are rolled back, so are their files
            default_storage.delete(name)
        raise
    _delete_unused(prepared)
    progress("saving", len(rows), len(rows))
    return result


def _one_import_at_a_time(city: City) -> None:
    """Imports into one city wait for each other (until the transaction ends). Two at once
    that share projects, in different orders, would each hold a row the other needs: the
    database would end one as a deadlock, and the officer would see it fail."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_IMPORT_LOCK, city.pk])


def _delete_unused(prepared: dict) -> None:
    """Photos prepared for pairs another import stored first, while this one waited."""
    from django.core.files.storage import default_storage

    for pair in prepared.values():
        if pair.pk is None:
            default_storage.delete(pair.before.name)
            default_storage.delete(pair.after.name)
