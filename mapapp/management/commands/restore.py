"""manage.py restore FILE [--identity KEY]: a backup brought back into an empty database and
file folders. An encrypted copy (FILE.tar.age, from BACKUP_COPY_DIR or the copy command) is
decrypted first with the private key in KEY (age-keygen's file, or an SSH private key).
It is unpacked beside FILE, or in --workdir DIR (it needs the archive's size there)."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapapp.backup import BackupError, decrypt, restore, work_folder


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an EMPTY database (checks first)."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument(
            "--identity", help="the private key an encrypted copy (.age) was made for"
        )
        parser.add_argument(
            "--workdir",
            help="where to decrypt and unpack it, with room for its size (default: beside it)",
        )

    def handle(self, *args, archive, identity, workdir, **options):
        archive = Path(archive)
        workdir = Path(workdir) if workdir else None
        encrypted = archive.suffix == ".age"
        if encrypted and not identity:
            raise CommandError(f"{archive.name} is encrypted: give its private key (--identity).")
        if identity and not encrypted:
            raise CommandError(f"{archive.name} is not an encrypted copy (.age): no --identity.")
        try:
            if not encrypted:
                result = restore(archive, workdir=workdir)
            else:
                folder = work_folder(archive.parent, workdir)
                try:
                    plain = decrypt(archive, Path(identity), folder / archive.stem)
                    result = restore(plain, workdir=folder)
                finally:
                    shutil.rmtree(folder, ignore_errors=True)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"restored {result['rows']} rows and {result['files']} files")
