"""Backups: one archive holding a consistent dump of the database and the uploaded files.

The database is dumped first (pg_dump takes one snapshot, so the dump is consistent in
itself), then the files. Files are only ever added or deleted, never changed in place, so
every file the dump refers to is in the archive; a file added during the backup may be in
it without a row, which is harmless. A manifest records row counts and file checksums, and
the restore checks the archive against it before it touches anything.

Copies that leave the machine (`copy_off_machine`) are encrypted first with age
(https://age-encryption.org, Debian's `age`), for the recipients in BACKUP_AGE_RECIPIENTS:
the archive holds supporters' addresses and consent documents, and the storage it goes to
is someone else's. Only the holder of a recipient's private key can read a copy
(`manage.py restore FILE.tar.age --identity KEY`, or `age -d -i KEY`).

Archive layout (a plain tar, readable without us):
    manifest.json
    database.dump        pg_dump custom format, restorable with pg_restore
    media/...            MEDIA_ROOT (public uploads: photos)
    private-media/...    PRIVATE_MEDIA_ROOT (consents, receipts, signature sheets, exports)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

FORMAT = 1
PREFIX = "wecreatespace-backup-"  # the default names (manage.py backup), which --keep prunes


class BackupError(RuntimeError):
    pass


def _pg_env() -> tuple[dict, list[str]]:
    s = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
    args = ["--host", s.get("HOST") or "localhost", "--port", str(s.get("PORT") or 5432),
            "--username", s.get("USER") or "", "--dbname", s["NAME"]]  # fmt: skip
    return env, args


def _roots() -> dict[str, Path]:
    return {"media": Path(settings.MEDIA_ROOT), "private-media": Path(settings.PRIVATE_MEDIA_ROOT)}


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _our_tables() -> list[str]:
    """The tables of the public schema but PostGIS's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'spatial_ref_sys' ORDER BY tablename"
        )
        return [row[0] for row in cursor.fetchall()]


def table_counts() -> dict[str, int]:
    """Rows per table of ours."""
    counts = {}
    with connection.cursor() as cursor:
        for table in _our_tables():
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from pg_tables
            counts[table] = cursor.fetchone()[0]
    return counts


def backup(output: Path) -> Path:
    """Writes `output` (a .tar) and returns it."""
    output = Path(output)
    work = Path(tempfile.mkdtemp(prefix="backup-", dir=output.parent))
    try:
        env, args = _pg_env()
        dump = work / "database.dump"
        counts = table_counts()
        done = subprocess.run(
            ["pg_dump", *args, "--format=custom", "--no-owner", "--no-privileges",
             "--file", str(dump)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        files = {}
        for name, root in _roots().items():
            if root.exists():
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    files[f"{name}/{path.relative_to(root)}"] = _digest(path)
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": {"file": "database.dump", "sha256": _digest(dump), "rows": counts},
            "files": files,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = output.with_suffix(output.suffix + ".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(work / "manifest.json", "manifest.json")
            tar.add(dump, "database.dump")
            for name, root in _roots().items():
                for relative in (k.split("/", 1)[1] for k in files if k.startswith(name + "/")):
                    tar.add(root / relative, f"{name}/{relative}")
        partial.replace(output)  # a backup file exists only once it is complete
        return output
    finally:
        shutil.rmtree(work, ignore_errors=True)


def work_folder(near: Path, workdir: Path | None = None) -> Path:
    """A fresh folder to unpack an archive in: inside `workdir` when given, else beside the
    archive, where there was room for it (the system's temporary folder is often a small
    tmpfs, and an archive unpacks to its own size), else in the temporary folder."""
    if workdir is not None:
        try:
            return Path(tempfile.mkdtemp(prefix=".restore-", dir=workdir))
        except OSError as error:
            raise BackupError(f"cannot unpack in {workdir}: {error.strerror}") from error
    try:
        return Path(tempfile.mkdtemp(prefix=".restore-", dir=near))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="restore-"))


def restore(archive: Path, *, workdir: Path | None = None) -> dict:
    """Brings an archive back into an empty database and empty file folders. Checks every
    checksum first; refuses rather than mixing a backup with existing data. The archive is
    unpacked in work_folder(its folder, `workdir`)."""
    archive = Path(archive)
    work = work_folder(archive.parent, workdir)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")  # no absolute paths, links or devices
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError("unknown backup format")
        dump = work / manifest["database"]["file"]
        if _digest(dump) != manifest["database"]["sha256"]:
            raise BackupError("the database dump does not match its checksum")
        for name, digest in manifest["files"].items():
            if _digest(work / name) != digest:
                raise BackupError(f"{name} does not match its checksum")
        if _our_tables():
            raise BackupError("the database is not empty: restore into an empty database")
        for root in _roots().values():
            if root.exists() and any(root.iterdir()):
                raise BackupError(f"{root} is not empty")
        env, args = _pg_env()
        done = subprocess.run(
            ["pg_restore", *args, "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", str(dump)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
        for name, root in _roots().items():
            source = work / name
            if source.exists():
                root.mkdir(parents=True, exist_ok=True)
                shutil.copytree(source, root, dirs_exist_ok=True)
        counts = table_counts()
        expected = manifest["database"]["rows"]
        if counts != expected:
            wrong = {k: (expected.get(k), counts.get(k)) for k in set(expected) | set(counts)
                     if expected.get(k) != counts.get(k)}  # fmt: skip
            raise BackupError(f"row counts differ after the restore: {wrong}")
        return {"rows": sum(counts.values()), "files": len(manifest["files"])}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _age(args: list[str], what: str) -> None:
    if shutil.which("age") is None:
        raise BackupError("age is not installed (Debian and Ubuntu: apt install age)")
    done = subprocess.run(["age", *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise BackupError(f"{what} failed: {done.stderr.strip()[:500]}")


def encrypt(path: Path, recipients: list[str]) -> Path:
    """`path`.age, readable only with a private key of one of `recipients` (age public keys
    or SSH public keys; a path to a file of them also works). age streams: any size."""
    if not recipients:
        raise BackupError("no recipients to encrypt for")
    args = ["--encrypt"]
    for recipient in recipients:
        args += ["--recipients-file" if recipient.startswith("/") else "--recipient", recipient]
    output = path.with_name(path.name + ".age")
    partial = output.with_name(output.name + ".partial")
    try:
        _age([*args, "--output", str(partial), str(path)], "encrypting the backup")
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def decrypt(path: Path, identity: Path, output: Path) -> Path:
    """An encrypted copy back into a plain archive, with the private key in `identity`.
    age checks the copy's integrity as it goes: a changed byte fails the whole."""
    _age(["--decrypt", "--identity", str(identity), "--output", str(output), str(path)],
         "decrypting the backup")  # fmt: skip
    return output


def _copy_into(source: Path, folder: Path, keep: int) -> Path:
    """`source` into `folder` under its own name, read back and compared before it takes
    that name (a copy that exists is a whole one); then only the newest `keep` stay. The
    folder must exist: made here, it would be on this machine's disk, under a mount point
    whose storage is not mounted. It must be on another disk (device) than `source`, the
    encrypted copy written beside the backups, unless BACKUP_COPY_SAME_DISK."""
    if not folder.is_dir():
        raise BackupError(f"BACKUP_COPY_DIR {folder} is not a folder (is its storage mounted?)")
    if folder.stat().st_dev == source.parent.stat().st_dev and not settings.BACKUP_COPY_SAME_DISK:
        raise BackupError(
            f"BACKUP_COPY_DIR {folder} is on the same disk as the backups, so a copy there is "
            "lost with them (is the other storage mounted?); BACKUP_COPY_SAME_DISK=1 allows it"
        )
    target = folder / source.name
    partial = folder / (source.name + ".partial")
    try:
        shutil.copyfile(source, partial)
        if _digest(partial) != _digest(source):
            raise BackupError(f"the copy in {folder} differs from the backup")
        partial.replace(target)
    except OSError as error:
        raise BackupError(f"copying the backup into {folder} failed: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    if keep:
        prune(folder, "*.tar.age", keep, target)
    return target


def prune(folder: Path, suffix: str, keep: int, newest: Path) -> list[Path]:
    """Delete all but the newest `keep` backups named PREFIX`suffix` in `folder`, by name
    (the default names sort by time); `newest` is always kept, other files never touched."""
    older = sorted(p for p in folder.glob(f"{PREFIX}{suffix}") if p != newest)
    gone = older[: max(0, len(older) - (keep - 1))]
    for old in gone:
        old.unlink()
    return gone


def _run_copy_command(name: str, template: str, encrypted: Path) -> str:
    """Run the setting `name`'s command with {file} and {name} replaced; its output, or a
    BackupError when it cannot run, takes too long or exits with an error."""
    argv = [
        part.replace("{file}", str(encrypted)).replace("{name}", encrypted.name)
        for part in shlex.split(template)
    ]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, check=False,
            timeout=settings.BACKUP_COPY_TIMEOUT,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"{name} could not run: {error}") from error
    if done.returncode:
        output = (done.stderr or done.stdout).strip()[:500]
        raise BackupError(f"{name} failed ({done.returncode}): {output}")
    return done.stdout


def _check_copy(encrypted: Path) -> None:
    """An uploader that exits 0 may still have stored nothing, or part of it: the check
    command asks the other side for the copy's SHA-256 (e.g. `rclone hashsum sha256
    --download offsite:wecreatespace/{name}`, or `ssh backup@host sha256sum {name}`), and
    its output must show the one of the file sent."""
    output = _run_copy_command(
        "BACKUP_COPY_CHECK_COMMAND", settings.BACKUP_COPY_CHECK_COMMAND, encrypted
    )
    if _digest(encrypted) not in output.lower():
        raise BackupError(
            "BACKUP_COPY_CHECK_COMMAND did not show the SHA-256 of the file sent "
            f"({encrypted.name}): the copy is missing or differs. It said: {output.strip()[:300]}"
        )


def copy_off_machine(archive: Path) -> list[str]:
    """Encrypt `archive` and send it where the settings say (BACKUP_COPY_DIR and/or
    BACKUP_COPY_COMMAND). Returns where it went; nothing is configured, nothing is done.
    Raises BackupError (the scheduled job then fails, and /healthz/jobs says so) when a
    destination is set without recipients, or a copy fails (for the command: it exits
    with an error, or BACKUP_COPY_CHECK_COMMAND, when set, does not find the copy whole).
    The encrypted file is removed from this machine afterwards: the plain archive is here
    already."""
    folder, command = settings.BACKUP_COPY_DIR, settings.BACKUP_COPY_COMMAND
    if not (folder or command):
        return []
    if not settings.BACKUP_AGE_RECIPIENTS:
        raise BackupError(
            "BACKUP_COPY_DIR or BACKUP_COPY_COMMAND is set, but BACKUP_AGE_RECIPIENTS is not: "
            "backups hold personal data and leave the machine only encrypted"
        )
    encrypted = encrypt(Path(archive), settings.BACKUP_AGE_RECIPIENTS)
    went = []
    try:
        if folder:
            went.append(str(_copy_into(encrypted, Path(folder), settings.BACKUP_COPY_KEEP)))
        if command:
            _run_copy_command("BACKUP_COPY_COMMAND", command, encrypted)
            went.append(shlex.split(command)[0])
            if settings.BACKUP_COPY_CHECK_COMMAND:
                _check_copy(encrypted)
    finally:
        encrypted.unlink(missing_ok=True)
    return went
