"""manage.py backup and restore: back up, restore into an empty database and empty folders,
and compare everything; a damaged archive or a non-empty target is refused untouched."""

import io
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from mapapp.backup import table_counts
from tests.support import database_url

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed data only


def _url(name):
    return database_url(name)


def _psql(name):
    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"],
                           password=s["PASSWORD"], dbname=name, autocommit=True)  # fmt: skip


@pytest.fixture
def empty_database():
    name = f"restore_{uuid.uuid4().hex[:10]}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def manage(*args, database, media, private):
    env = {**os.environ, "DATABASE_URL": _url(database), "MEDIA_ROOT": str(media),
           "PRIVATE_MEDIA_ROOT": str(private)}  # fmt: skip
    return subprocess.run([sys.executable, "manage.py", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


GEOMETRY = "SELECT id, ST_AsEWKB(geom), ST_AsEWKB(area), title, support_count FROM proposals_proposal ORDER BY id"  # noqa: E501


def test_backup_wipe_restore_compare(exchange_world, draft, tmp_path, empty_database):
    default_storage.save("sites/2026/photo.jpg", ContentFile(b"\xff\xd8 a photo"))
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    assert archive.exists() and not archive.with_suffix(".tar.partial").exists()
    source_counts = table_counts()
    # the backup's own success is recorded after its archive is written (mapapp.jobs)
    assert source_counts.pop("mapapp_jobrun") == 1
    with connection.cursor() as cursor:
        cursor.execute(GEOMETRY)
        source_rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                       for r in cursor.fetchall()]  # fmt: skip
    source_files = {"media": files(Path(settings.MEDIA_ROOT)),
                    "private": files(Path(settings.PRIVATE_MEDIA_ROOT))}  # fmt: skip
    assert source_files["private"] and source_files["media"]  # a consent and a photo

    media, private = tmp_path / "new-media", tmp_path / "new-private"
    done = manage("restore", str(archive), database=empty_database, media=media, private=private)
    assert done.returncode == 0, done.stderr
    with _psql(empty_database) as conn:
        rows = conn.execute(GEOMETRY).fetchall()
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'spatial_ref_sys'"
        ).fetchall()
        counts = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # noqa: S608
            for (t,) in tables
        }
    assert counts.pop("mapapp_jobrun") == 0 and counts == source_counts
    assert [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows] == (
        source_rows
    )
    assert files(media) == source_files["media"] and files(private) == source_files["private"]

    # a second restore into the now full database is refused, and changes nothing
    again = manage("restore", str(archive), database=empty_database, media=tmp_path / "m2",
                   private=tmp_path / "p2")  # fmt: skip
    assert again.returncode != 0 and "not empty" in again.stderr


def test_a_damaged_archive_is_refused_before_anything_is_touched(
    exchange_world, tmp_path, empty_database
):
    archive = tmp_path / "backup.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "database.dump":
                data = data[:-100] + b"x" * 100
            member.size = len(data)

            dst.addfile(member, io.BytesIO(data))
    done = manage("restore", str(damaged), database=empty_database, media=tmp_path / "m",
                  private=tmp_path / "p")  # fmt: skip
    assert done.returncode != 0 and "checksum" in done.stderr
    with _psql(empty_database) as conn:
        assert (
            conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'").fetchone()[0]
            == 0
        )  # noqa: E501


def test_keep_leaves_the_newest_backups(koszalin, tmp_path):
    """The nightly unit runs `backup --keep 14`: older archives in the folder go, anything
    else there stays, and the new one is always kept."""
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"wecreatespace-backup-2026010{d}-023000.tar" for d in range(1, 6)]
    for path in old:
        path.write_bytes(b"an older backup")
    (folder / "notes.txt").write_text("not ours")
    new = folder / "wecreatespace-backup-20261126-023000.tar"
    out = io.StringIO()
    call_command("backup", output=str(new), keep=3, stdout=out)
    left = sorted(p.name for p in folder.iterdir())
    assert left == ["notes.txt", old[3].name, old[4].name, new.name]
    assert out.getvalue().count("removed:") == 3
