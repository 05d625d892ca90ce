from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.authoring import importing
from quizzes.authoring.formats import FORMATS
from quizzes.models import Bank


class Command(BaseCommand):
    help = "Export a question bank's active questions as YAML, GIFT, CSV or Moodle XML."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    def handle(self, *, slug: str, format: str, output: Path | None, **_) -> None:
        bank = Bank.objects.filter(slug=slug).first()
        if bank is None:
            raise CommandError(f"no bank '{slug}'")
        text = importing.export(bank, format)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
        self.stderr.write(f"wrote {output}")
