"""Domain actions of the authoring pages: create a bank, save one question or scenario, archive, resolve a flag,
delete (or retire) a scenario.

Views call these and nothing else writes: every action runs in one transaction and locks the rows it changes.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from quizzes.models import Bank, Flag, Question, Service
from quizzes.study import bank_writing
from quizzes.study.banks import QuestionData
from quizzes.trainer.models import Scenario
from quizzes.trainer.scenarios import rendered
from studyapp.rendering import render_markdown

from .models import BankStewardship, FlagResolution


class EditConflict(Exception):
    """The question changed since the author opened it (another author saved first): says what to do."""


SCENARIO_ID_TAKEN = "A scenario with this id exists already (in content/scenarios or on /author/): choose another."


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
        bank_writing.save_question(
            bank, question, data, digest, position, dict(Service.objects.values_list("key", "pk"))
        )
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


def new_scenario_id(text: str) -> str:
    """An unused scenario id made from the first words of the text: 'a-video-site-transcodes-uploads-2'."""
    base = slugify(" ".join(text.split()[:6]))[:60].strip("-") or "scenario"
    taken = set(Scenario.objects.filter(external_id__startswith=base).values_list("external_id", flat=True))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def save_scenario(
    owner,
    scenario: Scenario | None,
    *,
    external_id: str,
    status: str,
    text: str,
    answer: list[str],
    difficulty: int,
    clues: list[str],
    why: str,
    why_not: dict[str, str],
) -> Scenario:
    """Create or update an instructor's trainer scenario, rendered and highlighted as the content loader does.

    The id of a new scenario must be unused by every scenario, content or authored: EditConflict otherwise.
    An existing scenario keeps its id (learners' progress refers to it)."""
    values = {
        **rendered(text=text, answer=answer, clues=clues, why=why, why_not=why_not),
        "difficulty": difficulty,
        "status": status,
        "updated_at": timezone.now(),
    }
    service_ids = dict(Service.objects.filter(key__in=answer).values_list("key", "pk"))
    with transaction.atomic():
        if scenario is None:
            if Scenario.objects.filter(external_id=external_id).exists():
                raise EditConflict(SCENARIO_ID_TAKEN)
            try:
                with transaction.atomic():
                    scenario = Scenario.objects.create(
                        external_id=external_id, owner=owner, source=f"/author/ ({owner.username})"[:200], **values
                    )
            except IntegrityError:  # saved by someone else between the check and the insert
                raise EditConflict(SCENARIO_ID_TAKEN) from None
        else:
            Scenario.objects.filter(pk=scenario.pk).update(**values)
            for name, value in values.items():
                setattr(scenario, name, value)
        scenario.services.set([service_ids[key] for key in values["answer"]])
    return scenario


def scenario_was_answered(scenario: Scenario) -> bool:
    """Whether any learner's round holds this scenario: then it is part of their history and cannot be deleted."""
    return scenario.round_items.exists()


def delete_scenario(scenario: Scenario) -> bool:
    """Remove an instructor's scenario: delete it, or retire it when learners met it in a round.

    A retired scenario is inactive and back to draft: no round serves it again, and the learners' answers
    (their history, the confusion matrix) still name it. Returns True when deleted, False when retired."""
    with transaction.atomic():
        # The row lock makes a round that is adding this scenario wait (its insert locks the referenced row),
        # so the check and the delete agree.
        locked = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if not scenario_was_answered(locked):
            locked.delete()
            return True
        locked.is_active, locked.status, locked.updated_at = False, Scenario.Status.DRAFT, timezone.now()
        locked.save(update_fields=["is_active", "status", "updated_at"])
    return False


def release_retired_scenarios(owner) -> int:
    """Before an instructor's account is deleted: their retired scenarios stay for the learners' history but
    need no owner any more (they are never served again), so they no longer block the deletion."""
    return Scenario.objects.filter(owner=owner, is_active=False).update(owner=None)
