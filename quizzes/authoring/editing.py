"""Domain actions of the authoring pages: create a bank, save one question, archive, resolve a flag.

Views call these and nothing else writes: every action runs in one transaction and locks the rows it changes.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from quizzes import banks
from quizzes.banks import QuestionData
from quizzes.models import Bank, Flag, Question, Service
from studyapp.rendering import render_markdown

from .models import BankStewardship, FlagResolution


class EditConflict(Exception):
    """The question changed since the author opened it (another author saved first): says what to do."""


def create_bank(owner, *, slug: str, title: str, description: str, status: str) -> BankStewardship:
    """A new instructor bank owned by `owner`."""
    with transaction.atomic():
        bank = Bank.objects.create(
            slug=slug,
            title=title,
            description_md=description,
            description_html=render_markdown(description),
            source=Bank.Source.IMPORT,
        )
        return BankStewardship.objects.create(bank=bank, owner=owner, status=status)


def update_bank(stewardship: BankStewardship, *, title: str, description: str, status: str) -> None:
    """Title, description and visibility (draft or published) of a bank."""
    bank = stewardship.bank
    with transaction.atomic():
        bank.title, bank.description_md = title, description
        bank.description_html = render_markdown(description)
        bank.save(update_fields=["title", "description_md", "description_html"])
        stewardship.status = status
        stewardship.save(update_fields=["status"])


def set_archived(stewardship: BankStewardship, archived: bool) -> None:
    """Archive a bank (learners stop seeing it) or restore it as a draft."""
    stewardship.status = BankStewardship.Status.ARCHIVED if archived else BankStewardship.Status.DRAFT
    stewardship.save(update_fields=["status"])


def save_question(bank: Bank, question: Question | None, data: QuestionData, *, base_revision: int | None) -> bool:
    """Create or update one question; an edit stores a new revision (learners' history keeps the old one).

    Returns False when nothing changed. Raises EditConflict when `question` moved past `base_revision`,
    and when a new question's id is taken."""
    with transaction.atomic():
        if question is None:
            Bank.objects.select_for_update().filter(pk=bank.pk).first()  # serialise new ids in this bank
            if Question.objects.filter(bank=bank, external_id=data.external_id).exists():
                raise EditConflict("Another question in this bank has this id: choose another.")
            last = Question.objects.filter(bank=bank).aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        else:
            question = Question.objects.select_for_update().get(pk=question.pk)
            if base_revision is not None and question.revision != base_revision:
                raise EditConflict(
                    f"Someone saved this question (revision {question.revision}) after you opened it "
                    f"(revision {base_revision}). Copy your changes, reload the page and apply them again."
                )
            position = question.position
        digest = data.content_hash()
        if question is not None and question.source_hash == digest:
            return False
        banks.save_question(bank, question, data, digest, position, dict(Service.objects.values_list("key", "pk")))
    return True


def resolve_flag(flag: Flag, author, note: str) -> FlagResolution | None:
    """Close a learner's flag with what the author did; None if someone resolved it meanwhile."""
    with transaction.atomic():
        locked = Flag.objects.select_for_update().select_related("question").get(pk=flag.pk)
        if locked.resolved_at is not None:
            return None
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["resolved_at"])
        return FlagResolution.objects.create(
            flag=locked, resolved_by=author, note=note, revision_after=locked.question.revision
        )
