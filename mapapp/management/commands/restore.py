"""manage.py restore FILE: a backup brought back into an empty database and file folders."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapapp.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an EMPTY database (checks first)."

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive, **options):
        try:
            result = restore(Path(archive))
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"restored {result['rows']} rows and {result['files']} files")
