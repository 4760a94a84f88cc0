"""manage.py restore FILE [--identity KEY]: a backup brought back into an empty database and
file folders. An encrypted copy (FILE.tar.age, from BACKUP_COPY_DIR or the copy command) is
decrypted first with the private key in KEY (age-keygen's file, or an SSH private key)."""

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapapp.backup import BackupError, decrypt, restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an EMPTY database (checks first)."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument(
            "--identity", help="the private key an encrypted copy (.age) was made for"
        )

    def handle(self, *args, archive, identity, **options):
        archive = Path(archive)
        encrypted = archive.suffix == ".age"
        if encrypted and not identity:
            raise CommandError(f"{archive.name} is encrypted: give its private key (--identity).")
        if identity and not encrypted:
            raise CommandError(f"{archive.name} is not an encrypted copy (.age): no --identity.")
        try:
            if not encrypted:
                result = restore(archive)
            else:
                # beside the copy, where there was room for it (the temporary folder
                # may be small, and the restore unpacks the archive there), else there
                try:
                    work = tempfile.TemporaryDirectory(prefix=".restore-", dir=archive.parent)
                except OSError:
                    work = tempfile.TemporaryDirectory(prefix="restore-")
                with work as folder:
                    plain = decrypt(archive, Path(identity), Path(folder) / archive.stem)
                    result = restore(plain)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"restored {result['rows']} rows and {result['files']} files")
