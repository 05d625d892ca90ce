import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.authoring import importing
from quizzes.authoring.formats import FORMATS, SUFFIXES, slugify_id
from quizzes.authoring.forms import size_text, upload_max_bytes
from studyapp.accounts.models import User


class Command(BaseCommand):
    help = (
        "Import a question bank file (all or nothing). Exit status 0 when clean, 1 when anything was refused "
        "(nothing is written then)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=FORMATS, help="default: from the file name's extension")
        parser.add_argument("--bank", default="", help="bank slug (default: the YAML header, or the file name)")
        parser.add_argument("--owner", default="", help="username of the instructor who owns a new bank")
        parser.add_argument(
            "--topic",
            default="",
            help="default topic key for the questions whose file names none (a GIFT or Moodle file without tags)",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        parser.add_argument("--report", choices=["text", "json"], default="text")

    def handle(
        self, *, path: Path, format: str | None, bank: str, owner: str, topic: str, dry_run: bool, report: str, **_
    ):
        fmt = format or SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise CommandError(f"cannot tell the format of {path.name}: pass --format {{{','.join(FORMATS)}}}")
        try:
            size, limit = path.stat().st_size, upload_max_bytes()
            if size > limit:
                raise CommandError(
                    f"{path} is {size_text(size)}; the limit is {size_text(limit)} (setting AUTHOR_UPLOAD_MAX_BYTES): "
                    "split it into smaller files. Nothing was imported.",
                    returncode=1,
                )
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        owner_user = None
        if owner:
            owner_user = User.objects.filter(username=owner).first()
            if owner_user is None:
                raise CommandError(f"no user '{owner}'")
        if not bank and fmt != "yaml":
            bank = slugify_id(path.stem)
        text, decode_issue = importing.decode(data)
        try:
            result = importing.run_import(
                text,
                fmt,
                bank_slug=bank,
                dry_run=dry_run,
                decode_issue=decode_issue,
                default_topic=topic,
                on_create=(lambda new_bank: _own(new_bank, owner_user)) if owner_user else None,
            )
        except importing.ImportRefused as error:
            raise CommandError(str(error)) from None
        if report == "json":
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self._write_text(result, path)
        if not result.clean:
            raise CommandError(f"{len(result.refused)} problem(s): nothing was imported", returncode=1)

    def _write_text(self, result: importing.Report, path: Path) -> None:
        for issue in result.refused:
            self.stderr.write(f"{path}:{issue.line or '-'}: {issue.field}: {issue.message}")
        for issue in result.warnings:
            self.stdout.write(f"{path}:{issue.line or '-'}: warning: {issue.field}: {issue.message}")
        verb = "would be" if result.dry_run or not result.clean else "were"
        self.stdout.write(
            f"bank {result.bank}: {len(result.created)} {verb} created, {len(result.updated)} {verb} updated, "
            f"{len(result.unchanged)} unchanged, {len(result.refused)} refused"
        )


def _own(bank, owner) -> None:
    from quizzes.authoring.models import BankStewardship

    BankStewardship.objects.create(bank=bank, owner=owner)
