"""manage.py backup and restore: back up, restore into an empty database and empty folders,
and compare everything; a damaged archive or a non-empty target is refused untouched."""

import io
import os
import re
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

    # it unpacked beside the archive and left nothing there; a work folder that cannot be
    # written is said so before anything is touched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".restore-")) == []
    blocked = manage(
        "restore", str(archive), "--workdir", str(tmp_path / "missing"),
        database=empty_database, media=tmp_path / "m3", private=tmp_path / "p3",
    )  # fmt: skip
    assert blocked.returncode != 0 and "cannot unpack in" in blocked.stderr
    assert not (tmp_path / "m3").exists()
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


@pytest.fixture
def age_key(tmp_path):
    """A real age key pair (age-keygen): (the private key's file, the public key)."""
    key = tmp_path / "backup-key.txt"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    public = next(
        line.split(": ", 1)[1]
        for line in key.read_text().splitlines()
        if line.startswith("# public key: ")
    )
    return key, public


def test_an_encrypted_copy_leaves_the_machine_and_comes_back(
    exchange_world, draft, tmp_path, empty_database, age_key, settings
):
    """The nightly backup writes an age-encrypted copy into the off-machine folder, keeps
    the newest BACKUP_COPY_KEEP there, and only the private key's holder restores it."""
    key, public = age_key
    here, offsite = tmp_path / "backups", tmp_path / "offsite"
    here.mkdir()
    offsite.mkdir()
    older = [offsite / f"wecreatespace-backup-2026010{d}-023000.tar.age" for d in (1, 2, 3)]
    for path in older:
        path.write_bytes(b"an older copy")
    (offsite / "README.txt").write_text("the storage's own file")
    settings.BACKUP_AGE_RECIPIENTS = [public]
    settings.BACKUP_COPY_DIR = str(offsite)
    settings.BACKUP_COPY_KEEP = 2
    settings.BACKUP_COPY_SAME_DISK = True  # the test's "other storage" is a local folder
    archive = here / "wecreatespace-backup-20261126-023000.tar"
    out = io.StringIO()
    call_command("backup", output=str(archive), stdout=out)

    copy = offsite / (archive.name + ".age")
    assert f"encrypted copy sent: {copy}" in out.getvalue()
    assert sorted(p.name for p in offsite.iterdir()) == [
        "README.txt", older[2].name, copy.name
    ]  # fmt: skip
    assert sorted(p.name for p in here.iterdir()) == [archive.name]  # no plain copy's twin
    sealed = copy.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1")
    assert not tarfile.is_tarfile(copy)
    assert b"database.dump" not in sealed and b"manifest" not in sealed
    assert draft.title.encode() not in sealed

    # without the key, or with another one, nothing is touched
    media, private = tmp_path / "new-media", tmp_path / "new-private"
    refused = manage("restore", str(copy), database=empty_database, media=media, private=private)
    assert refused.returncode != 0 and "--identity" in refused.stderr
    other = tmp_path / "other-key.txt"
    subprocess.run(["age-keygen", "-o", str(other)], check=True, capture_output=True)
    wrong = manage("restore", str(copy), "--identity", str(other), database=empty_database,
                   media=media, private=private)  # fmt: skip
    assert wrong.returncode != 0 and "decrypting the backup failed" in wrong.stderr
    with _psql(empty_database) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'")
        assert tables.fetchone()[0] == 0

    done = manage("restore", str(copy), "--identity", str(key), database=empty_database,
                  media=media, private=private)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # decrypted beside the copy (room was there), and nothing of it left behind
    assert sorted(p.name for p in offsite.iterdir()) == ["README.txt", older[2].name, copy.name]
    with _psql(empty_database) as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM proposals_proposal")]
    assert draft.title in titles
    assert files(private) == files(Path(settings.PRIVATE_MEDIA_ROOT))  # the consent too


def test_the_copy_command_is_handed_the_encrypted_file(koszalin, tmp_path, age_key, settings):
    _key, public = age_key
    received = tmp_path / "received"
    received.mkdir()
    settings.BACKUP_AGE_RECIPIENTS = [public]
    settings.BACKUP_COPY_COMMAND = f"cp {{file}} '{received}/{{name}}'"
    # the other side is asked for the copy's SHA-256, which must be the file's sent
    settings.BACKUP_COPY_CHECK_COMMAND = f"sha256sum '{received}/{{name}}'"
    archive = tmp_path / "wecreatespace-backup-20261126-023000.tar"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    (sent,) = received.iterdir()
    assert sent.name == archive.name + ".age"
    assert sent.read_bytes().startswith(b"age-encryption.org/v1")
    assert not (tmp_path / sent.name).exists()  # the encrypted file does not stay here


@pytest.mark.parametrize(
    "copy_settings, message",
    [
        # a destination without recipients: a copy would leave unencrypted
        ({"BACKUP_COPY_DIR": "{tmp}/offsite"}, "leave the machine only encrypted"),
        ({"BACKUP_COPY_COMMAND": "false", "BACKUP_AGE_RECIPIENTS": "KEY"},
         "BACKUP_COPY_COMMAND failed (1)"),
        ({"BACKUP_COPY_COMMAND": "no-such-uploader {file}", "BACKUP_AGE_RECIPIENTS": "KEY"},
         "BACKUP_COPY_COMMAND could not run"),
        # the uploader exits 0 but stored nothing, or part of the file: the check says so
        ({"BACKUP_COPY_COMMAND": "true", "BACKUP_AGE_RECIPIENTS": "KEY",
          "BACKUP_COPY_CHECK_COMMAND": "sha256sum {tmp}/sent.age"},
         "BACKUP_COPY_CHECK_COMMAND failed (1)"),
        ({"BACKUP_COPY_COMMAND": "sh -c 'head -c 100 {file} > {tmp}/sent.age'",
          "BACKUP_COPY_CHECK_COMMAND": "sha256sum {tmp}/sent.age", "BACKUP_AGE_RECIPIENTS": "KEY"},
         "BACKUP_COPY_CHECK_COMMAND did not show the SHA-256 of the file sent"),
        ({"BACKUP_COPY_DIR": "/proc/no-such-folder", "BACKUP_AGE_RECIPIENTS": "KEY"},
         "BACKUP_COPY_DIR /proc/no-such-folder is not a folder (is its storage mounted?)"),
        ({"BACKUP_COPY_DIR": "/proc/version", "BACKUP_AGE_RECIPIENTS": "KEY"},
         "is not a folder"),
        ({"BACKUP_COPY_DIR": "{tmp}/offsite", "BACKUP_AGE_RECIPIENTS": "age1notakey"},
         "encrypting the backup failed"),
        # a folder on this machine's own disk (a share that is not mounted): no copy at all
        ({"BACKUP_COPY_DIR": "{tmp}", "BACKUP_AGE_RECIPIENTS": "KEY"},
         "is on the same disk as the backups"),
    ],
)  # fmt: skip
def test_a_copy_that_fails_fails_the_nightly_job_with_its_reason(
    koszalin, tmp_path, age_key, settings, copy_settings, message
):
    """The local backup stands, but the job is recorded as failed (/healthz/jobs), with
    the reason; nothing unencrypted is left in the destination."""
    from django.core.management.base import CommandError

    from mapapp.models import JobRun

    settings.BACKUP_AGE_RECIPIENTS = []
    for name, value in copy_settings.items():
        if name == "BACKUP_AGE_RECIPIENTS":
            value = [age_key[1] if value == "KEY" else value]
        elif isinstance(value, str):
            value = value.replace("{tmp}", str(tmp_path))
        setattr(settings, name, value)
    archive = tmp_path / "wecreatespace-backup-20261126-023000.tar"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("backup", output=str(archive), stdout=io.StringIO())
    assert archive.exists() and not (tmp_path / (archive.name + ".age")).exists()
    assert not (tmp_path / "offsite").exists() or not any((tmp_path / "offsite").iterdir())
    run = JobRun.objects.get(name="backup")
    assert run.last_success_at is None and message in run.last_error


def test_no_copy_keeps_the_backup_here_and_is_not_the_nightly_job(
    koszalin, tmp_path, age_key, settings
):
    from mapapp.models import JobRun

    settings.BACKUP_AGE_RECIPIENTS = [age_key[1]]
    settings.BACKUP_COPY_DIR = str(tmp_path / "offsite")
    archive = tmp_path / "wecreatespace-backup-20261126-023000.tar"
    call_command("backup", output=str(archive), no_copy=True, stdout=io.StringIO())
    assert archive.exists() and not (tmp_path / "offsite").exists()
    assert not JobRun.objects.filter(name="backup").exists()
