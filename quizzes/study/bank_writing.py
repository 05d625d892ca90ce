"""Storing validated question banks, the second step of quizzes/study/banks.py: `write_bank()` stores a bank's
questions in bulk writes (unchanged ones left alone, edited ones with a new revision, removed ones deleted or
retired), `save_question()` stores the authoring editor's one question the same way, and `load_banks()`, the
content loader of content/banks/, validates every file, holds the shipped banks to the exam's item craft
(`check_item_craft()`) and writes them.
"""

from pathlib import Path

from django.db import transaction

from quizzes.models import Bank, Choice, Question, QuestionRevision, Service
from quizzes.study.banks import BankFile, QuestionData, parse_bank_text, references
from studyapp.content import ContentError, read_text
from studyapp.rendering import render_markdown

# ---------------------------------------------------------------- writing


def _inline_html(text: str) -> str:
    """Render a one-line Markdown choice without its wrapping paragraph."""
    html = render_markdown(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def _snapshot(question: Question, choices: list[Choice]) -> dict:
    return {
        "type": question.type,
        "stem_html": question.stem_html,
        "explanation_html": question.explanation_html,
        "choices": [
            {"key": c.key, "text_html": c.text_html, "correct": c.correct, "why_html": c.why_html} for c in choices
        ],
    }


def write_bank(
    slug: str, title: str, description: str, questions: list[QuestionData], *, source: str = Bank.Source.CONTENT
) -> dict[str, int]:
    """Store one bank's validated questions (idempotent), in file order. Returns counts."""
    counts = {
        "banks created": 0,
        "banks updated": 0,
        "questions created": 0,
        "questions updated": 0,
        "questions retired": 0,
        "questions removed": 0,
    }
    with transaction.atomic():
        description_html = render_markdown(description)
        bank, created = Bank.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "description_md": description,
                "description_html": description_html,
                "source": source,
            },
        )
        counts["banks created"] += created
        if not created and (bank.title, bank.description_md) != (title, description):
            counts["banks updated"] += 1
            bank.title, bank.description_md, bank.description_html = title, description, description_html
            bank.save(update_fields=["title", "description_md", "description_html"])
        services = dict(Service.objects.values_list("key", "pk"))
        existing = {q.external_id: q for q in Question.objects.filter(bank=bank)}
        moved, changed = [], []
        for position, data in enumerate(questions):
            question = existing.pop(data.external_id, None)
            digest = data.content_hash()
            if question and question.source_hash == digest:
                if question.position != position or not question.is_active:
                    question.position, question.is_active = position, True
                    moved.append(question)
                continue
            counts["questions updated" if question else "questions created"] += 1
            changed.append((question, data, digest, position))
        _save_questions(bank, changed, services)
        if moved:
            Question.objects.bulk_update(moved, ["position", "is_active"])
        for question in existing.values():  # gone from the files
            if question.memories.exists() or question.flags.exists():
                if question.is_active:
                    question.is_active = False
                    question.save(update_fields=["is_active"])
                    counts["questions retired"] += 1
            else:
                question.delete()
                counts["questions removed"] += 1
    return counts


def save_question(
    bank: Bank, question: Question | None, data: QuestionData, digest: str, position: int, services: dict[str, int]
) -> None:
    """Create (question None) or update one question with a new revision (the authoring editor's save)."""
    _save_questions(bank, [(question, data, digest, position)], services)


def _save_questions(bank: Bank, changed: list, services: dict[str, int]) -> None:
    """Create or update questions with their choices, services and a new revision, in bulk writes (an
    instructor's import of 10,000 questions must take seconds, see bench/authoring_import.py)."""
    if not changed:
        return
    fresh, updated, targets = [], [], []
    for question, data, digest, position in changed:
        values = {
            "type": data.type,
            "stem_md": data.stem,
            "stem_html": render_markdown(data.stem),
            "explanation_md": data.explanation,
            "explanation_html": render_markdown(data.explanation),
            "domain": data.domain,
            "difficulty": data.difficulty,
            "note_slug": data.note_slug,
            "note_anchor": data.note_anchor,
            "correct_count": sum(c.correct for c in data.choices),
            "position": position,
            "source_hash": digest,
            "is_active": True,
        }
        if question is None:
            question = Question(bank=bank, external_id=data.external_id, revision=1, **values)
            fresh.append(question)
        else:
            for name, value in values.items():
                setattr(question, name, value)
            question.revision += 1
            updated.append(question)
        targets.append((question, data))
    Question.objects.bulk_create(fresh, batch_size=500)  # sets the primary keys on these objects
    if updated:
        Question.objects.bulk_update(updated, [*values, "revision"], batch_size=500)
        # Choices are re-keyed per revision; history lives in the revision snapshot.
        Choice.objects.filter(question__in=updated).delete()
        Question.services.through.objects.filter(question__in=updated).delete()
    # Rows point at their question by id: assigning the instance costs a descriptor check per row.
    choices, links, revisions = [], [], []
    for question, data in targets:
        own = [
            Choice(
                question_id=question.pk,
                key=key,
                text=c.text,
                text_html=_inline_html(c.text),
                correct=c.correct,
                why_md=c.why,
                why_html=render_markdown(c.why),
            )
            for key, c in enumerate(data.choices, start=1)
        ]
        choices += own
        links += [Question.services.through(question_id=question.pk, service_id=services[key]) for key in data.services]
        snapshot = _snapshot(question, own)
        revisions.append(QuestionRevision(question_id=question.pk, number=question.revision, snapshot=snapshot))
    Choice.objects.bulk_create(choices, batch_size=1000)
    Question.services.through.objects.bulk_create(links, batch_size=1000)
    QuestionRevision.objects.bulk_create(revisions, batch_size=500)


# Item craft of the shipped banks (instructors' imports keep Moodle's freedom): CLF-C02 asks one of four, or two or
# three of five or more, never true/false; a test-wise learner who picks the longest option must gain nothing.
MIN_MULTIPLE_SHARE = 0.30
MAX_LONGEST_RIGHT_SHARE = 0.35


def longest_is_right(question: QuestionData) -> bool:
    longest = max(len(choice.text) for choice in question.choices)
    return any(choice.correct and len(choice.text) == longest for choice in question.choices)


def check_item_craft(bank: BankFile, files: dict[str, Path]) -> None:
    """Refuse a shipped bank whose questions break the exam's item craft (file:line: reason); `files` maps each
    question id to the file it comes from (a bank may span several)."""
    for question in bank.questions:
        where = f"question '{question.external_id}'"
        if question.type == Question.Type.TRUEFALSE:
            raise ContentError(
                files[question.external_id],
                f"{where}: the real exam has no true/false; write it as single or multiple",
                question.line,
            )
        correct = sum(choice.correct for choice in question.choices)
        if question.type == Question.Type.MULTIPLE and not 2 <= correct <= 3:
            raise ContentError(
                files[question.external_id],
                f"{where}: a multiple-response question has two or three correct options",
                question.line,
            )
    singles = [q for q in bank.questions if q.type == Question.Type.SINGLE]
    multiples = len(bank.questions) - len(singles)
    if bank.questions and multiples / len(bank.questions) < MIN_MULTIPLE_SHARE:
        share = round(100 * multiples / len(bank.questions))
        raise ContentError(
            bank.path,
            f"bank '{bank.slug}': {share} % of its questions are multiple response (at least "
            f"{MIN_MULTIPLE_SHARE:.0%} are, as in the exam)",
        )
    longest = [q for q in singles if longest_is_right(q)]
    if singles and len(longest) / len(singles) > MAX_LONGEST_RIGHT_SHARE:
        share = round(100 * len(longest) / len(singles))
        raise ContentError(
            files[longest[-1].external_id],
            f"bank '{bank.slug}': the right option is the longest in {share} % of single-answer questions (at most "
            f"{MAX_LONGEST_RIGHT_SHARE:.0%}; the last one is '{longest[-1].external_id}')",
            longest[-1].line,
        )


def load_banks(directory: Path) -> dict[str, int]:
    """CONTENT_LOADERS entry: validate every content/banks/*.yaml, then write each bank (files may share one)."""
    refs = references(directory)
    files = [parse_bank_text(read_text(path), path, refs) for path in sorted((directory / "banks").glob("*.yaml"))]
    for parsed in files:
        if parsed.errors:
            raise parsed.errors[0]
    banks: dict[str, BankFile] = {}
    for parsed in files:
        first = banks.get(parsed.slug)
        if first is None:
            banks[parsed.slug] = BankFile(
                path=parsed.path, slug=parsed.slug, title=parsed.title, description=parsed.description
            )
            first = banks[parsed.slug]
        elif (first.title, first.description) != (parsed.title, parsed.description):
            raise ContentError(
                parsed.path, f"bank '{parsed.slug}': title and description must match {first.path.name}", 1
            )
        seen = {q.external_id: q for q in first.questions}
        for question in parsed.questions:
            if question.external_id in seen:
                raise ContentError(
                    parsed.path,
                    f"question id '{question.external_id}' is already used in bank '{parsed.slug}'",
                    question.line,
                )
            first.questions.append(question)
    files = {(parsed.slug, q.external_id): parsed.path for parsed in files for q in parsed.questions}
    for bank in banks.values():
        check_item_craft(bank, {external_id: path for (slug, external_id), path in files.items() if slug == bank.slug})
    counts: dict[str, int] = {}
    for bank in banks.values():
        for key, value in write_bank(bank.slug, bank.title, bank.description, bank.questions).items():
            counts[key] = counts.get(key, 0) + value
    # Content banks whose files are gone: their questions are retired or removed like any missing question.
    for bank in Bank.objects.filter(source=Bank.Source.CONTENT).exclude(slug__in=banks):
        for key, value in write_bank(bank.slug, bank.title, bank.description_md, []).items():
            counts[key] = counts.get(key, 0) + value
    return counts
