"""A learner's data is theirs: download all of it (JSON, or a zip of CSV files), or delete the account.

Both formats carry the same tables (EXPORT_TABLES), one row per record, times in UTC ISO 8601,
questions named by their bank and id in the bank (stable across content releases), scenarios by id.

Deleting removes the user and, by cascade, everything about them, in one transaction. Before the
delete, the instructors' item statistics fold the learner's answers into anonymous counts
(quizzes.itemstats.tallies.before_learner_deleted), so they keep only aggregates.
"""

import csv
import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from quizzes.classes.models import Membership
from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.models import Flag, FsrsFit, LearnerSettings, QuestionMemory, ReviewLog
from quizzes.trainer.models import Round, RoundItem, ScenarioMemory
from studyapp.accounts.models import User

FORMAT = "ccp-study-export"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: list[tuple[str, str]]  # (column in the file, ORM lookup)
    rows: object  # learner -> QuerySet

    def values(self, learner):
        lookups = [lookup for _, lookup in self.columns]
        return self.rows(learner).values_list(*lookups).iterator(chunk_size=2000)


EXPORT_TABLES = [
    Table(
        "study_states",
        "Your memory of each question (FSRS state) and its study flags.",
        [
            ("bank", "question__bank__slug"), ("question", "question__external_id"), ("state", "state"),
            ("step", "step"), ("stability_days", "stability"), ("difficulty", "difficulty"), ("due", "due"),
            ("last_review", "last_review"), ("reviews", "reps"), ("failures", "failures"),
            ("introduced_at", "introduced_at"), ("buried_until", "buried_until"), ("suspended", "suspended"),
            ("leech", "leech"),
        ],
        lambda learner: QuestionMemory.objects.filter(learner=learner).order_by("pk"),
    ),
    Table(
        "review_log",
        "Every answer and rating in study sessions (rating 1 Again, 2 Hard, 3 Good, 4 Easy).",
        [
            ("reviewed_at", "reviewed_at"), ("bank", "memory__question__bank__slug"),
            ("question", "memory__question__external_id"), ("revision", "revision"), ("rating", "rating"),
            ("correct", "correct"), ("answer", "answer"), ("shown", "shown"), ("response_ms", "response_ms"),
            ("scheduled_due", "scheduled_due"),
        ],
        lambda learner: ReviewLog.objects.filter(learner=learner).order_by("reviewed_at", "pk"),
    ),
    Table(
        "scenario_states",
        "Your memory of each trainer scenario (FSRS state).",
        [
            ("scenario", "scenario__external_id"), ("state", "state"), ("stability_days", "stability"),
            ("difficulty", "difficulty"), ("due", "due"), ("last_review", "last_review"), ("lapses", "lapses"),
        ],
        lambda learner: ScenarioMemory.objects.filter(learner=learner).order_by("pk"),
    ),
    Table(
        "trainer_rounds",
        "Scenario trainer rounds.",
        [
            ("round", "pk"), ("kind", "kind"), ("focus", "focus"), ("note", "note_slug"), ("size", "size"),
            ("started_at", "started_at"), ("finished_at", "finished_at"), ("duration_ms", "duration_ms"),
            ("score", "score"),
        ],
        lambda learner: Round.objects.filter(learner=learner).order_by("started_at", "pk"),
    ),
    Table(
        "trainer_answers",
        "Your answers in the scenario trainer.",
        [
            ("round", "round_id"), ("position", "position"), ("scenario", "scenario__external_id"),
            ("answered_at", "answered_at"), ("chosen", "chosen_key"), ("expected", "expected_key"),
            ("correct", "correct"), ("response_ms", "response_ms"),
        ],
        lambda learner: RoundItem.objects.filter(learner=learner, answered_at__isnull=False).order_by("answered_at"),
    ),
    Table(
        "exam_attempts",
        "Practice exams you started.",
        [
            ("attempt", "pk"), ("preset", "preset"), ("title", "title"), ("state", "state"),
            ("started_at", "started_at"), ("deadline", "deadline"), ("finished_at", "finished_at"),
            ("scored_correct", "scored_correct"), ("scored_total", "scored_total"), ("scaled_score", "scaled_score"),
            ("passed", "passed"),
        ],
        lambda learner: ExamAttempt.objects.filter(learner=learner).order_by("started_at"),
    ),
    Table(
        "exam_answers",
        "Each question of your practice exams and your answer.",
        [
            ("attempt", "attempt_id"), ("position", "position"), ("bank", "question__bank__slug"),
            ("question", "question__external_id"), ("revision", "revision"), ("domain", "question__domain"),
            ("pilot", "is_pilot"), ("answer", "answer"), ("flagged", "flagged"), ("answered_at", "answered_at"),
            ("correct", "correct"),
        ],
        lambda learner: AttemptQuestion.objects.filter(attempt__learner=learner).order_by("attempt_id", "position"),
    ),
    Table(
        "memory_model",
        "The last fit of the scheduler's parameters to your reviews, with its scores on your held-out reviews.",
        [
            ("fitted_at", "fitted_at"), ("outcome", "outcome"), ("message", "message"),
            ("parameters", "parameters"), ("reviews", "reviews"), ("trained_on", "trained_on"),
            ("held_out", "held_out"), ("log_loss_defaults", "log_loss_before"), ("rmse_defaults", "rmse_before"),
            ("log_loss_fitted", "log_loss_after"), ("rmse_fitted", "rmse_after"), ("rescheduled", "rescheduled"),
        ],
        lambda learner: FsrsFit.objects.filter(learner=learner),
    ),
    Table(
        "question_reports",
        "Problems you reported on questions.",
        [
            ("bank", "question__bank__slug"), ("question", "question__external_id"), ("revision", "revision"),
            ("comment", "comment"), ("created_at", "created_at"), ("resolved_at", "resolved_at"),
        ],
        lambda learner: Flag.objects.filter(learner=learner).order_by("created_at"),
    ),
    Table(
        "classes",
        "The classes you joined (quizzes.classes); leaving one or deleting the account removes it.",
        [("class", "classroom__name"), ("owner", "classroom__owner__username"), ("joined_at", "joined_at")],
        lambda learner: Membership.objects.filter(learner=learner).order_by("joined_at"),
    ),
]  # fmt: skip


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def account_record(learner) -> dict:
    prefs = LearnerSettings.for_learner(learner)
    return {
        "username": learner.username,
        "email": learner.email,
        "date_joined": _plain(learner.date_joined),
        "guest": learner.is_guest,
        "theme": learner.theme,
        "desired_retention": prefs.desired_retention,
        "new_per_day": prefs.new_per_day,
        "reviews_per_day": prefs.reviews_per_day,
        "learning_steps": prefs.learning_steps,
        "relearning_steps": prefs.relearning_steps,
        "time_zone": prefs.time_zone,
        "day_start_hour": prefs.day_start_hour,
        "fsrs_parameters": prefs.fsrs_parameters,  # None: FSRS-6's defaults
    }


def export_json(learner, now: datetime) -> bytes:
    """One JSON document: the account and settings, then each table as a list of objects."""
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": _plain(now),
        "account": account_record(learner),
        "tables": {table.name: table.description for table in EXPORT_TABLES},
    }
    for table in EXPORT_TABLES:
        names = [name for name, _ in table.columns]
        document[table.name] = [dict(zip(names, map(_plain, row), strict=True)) for row in table.values(learner)]
    return json.dumps(document, indent=1, ensure_ascii=False).encode()


def _csv_cell(value):
    value = _plain(value)
    if isinstance(value, list | dict):
        return json.dumps(value)
    if value is None:
        return ""
    return value


def export_csv_zip(learner, now: datetime) -> bytes:
    """A zip of CSV files (UTF-8, header row): account.csv plus one file per table, and a README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        record = account_record(learner)
        archive.writestr("account.csv", _csv([list(record)], [[_csv_cell(v) for v in record.values()]]))
        for table in EXPORT_TABLES:
            rows = ([_csv_cell(value) for value in row] for row in table.values(learner))
            archive.writestr(f"{table.name}.csv", _csv([[name for name, _ in table.columns]], rows))
        readme = [f"{FORMAT} version {FORMAT_VERSION}, exported {_plain(now)} (times in UTC).", ""]
        readme += ["account.csv: your account and study settings."]
        readme += [f"{table.name}.csv: {table.description}" for table in EXPORT_TABLES]
        archive.writestr("README.txt", "\n".join(readme) + "\n")
    return buffer.getvalue()


def _csv(header: list[list], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(header)
    writer.writerows(rows)
    return out.getvalue()


# ---------------------------------------------------------------- deletion


class DeletionRefused(Exception):
    """The account still owns something others depend on (e.g. a question bank): nothing was deleted."""


# What an instructor owns that blocks deleting the account (their FKs are PROTECT), named for the message.
_OWNED = {
    "authoring.bankstewardship": "question bank",
    "trainer.scenario": "trainer scenario",
    "classes.classroom": "class",
}


def delete_learner(learner) -> None:
    """Delete the learner and everything about them, in one transaction (all or nothing).

    Raises DeletionRefused, having changed nothing, when a protected reference (a bank or a trainer scenario
    they own) blocks it."""
    from quizzes.authoring.editing import release_retired_scenarios
    from quizzes.itemstats.tallies import before_learner_deleted  # the item-statistics feature owns it

    with transaction.atomic():
        user = User.objects.select_for_update(of=("self",)).get(pk=learner.pk)
        before_learner_deleted(user)
        release_retired_scenarios(user)
        try:
            user.delete()
        except (ProtectedError, RestrictedError) as error:
            raise DeletionRefused(_refusal(error)) from None


def _refusal(error) -> str:
    blockers = list(getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", []))
    kinds = Counter(_OWNED.get(obj._meta.label_lower, str(obj._meta.verbose_name)) for obj in blockers)
    owned = " and ".join(f"{count} {kind}{'s' if count > 1 else ''}" for kind, count in sorted(kinds.items()))
    names = ", ".join(sorted(str(obj) for obj in blockers)[:5])
    return (
        f"Your account cannot be deleted yet: you own {owned} ({names}) that other people rely on. Hand "
        f"{'them' if len(blockers) > 1 else 'it'} over to another instructor or delete "
        f"{'them' if len(blockers) > 1 else 'it'} on the authoring pages, then try again. Nothing was deleted."
    )
