"""Merging a guest's progress into an account (the guest logged into an existing account and chose merge).

Memory states are merged by most recent review: where both have a memory of the same item, the account
keeps its row but takes the guest's FSRS state if the guest reviewed it more recently; the counters add up
(answers, wrong answers: a leech of both is one) and the question counts as introduced when either first met it.
Every log is kept (re-pointed to the account's row; study logs are renumbered after the account's own). Exam attempts,
trainer rounds and flags move to the account. Runs inside studyapp.accounts.guests.merge_guest_into's
transaction, with the guest row locked.
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Max

from quizzes.exams.models import ExamAttempt
from quizzes.models import LEECH_FAILURES, Flag, LearnerSettings, QuestionMemory, ReviewLog
from quizzes.trainer.models import Round, RoundItem, ScenarioMemory

_FSRS_FIELDS = ["state", "step", "stability", "difficulty", "due", "last_review"]
_STUDY_FIELDS = [*_FSRS_FIELDS, "reps", "failures", "introduced_at", "buried_until", "suspended", "leech"]


def _newer(theirs, ours) -> bool:
    if theirs.last_review is None:
        return False
    return ours.last_review is None or theirs.last_review > ours.last_review


def merge_study(guest, account) -> None:
    LearnerSettings.history_changed(account)  # the account's earlier days gain the guest's reviews
    mine = {m.question_id: m for m in QuestionMemory.objects.select_for_update().filter(learner=account)}
    for memory in QuestionMemory.objects.select_for_update().filter(learner=guest):
        target = mine.get(memory.question_id)
        if target is None:
            QuestionMemory.objects.filter(pk=memory.pk).update(learner=account)
            ReviewLog.objects.filter(memory=memory).update(learner=account)
            continue
        # Both studied it: keep every log under the account's row, numbered after the account's own.
        offset = (ReviewLog.objects.filter(memory=target).aggregate(top=Max("seq"))["top"] or 0) + 1
        top = target.version
        for log in ReviewLog.objects.filter(memory=memory).order_by("seq"):
            ReviewLog.objects.filter(pk=log.pk).update(memory=target, learner=account, seq=offset + log.seq)
            top = max(top, offset + log.seq)
        # Both histories count: the answers and wrong answers add up, and the question was introduced when the
        # first of the two met it. The newer review's state is the memory's (FSRS, burial, suspension).
        reps, failures = target.reps + memory.reps, target.failures + memory.failures
        introduced = min(filter(None, (target.introduced_at, memory.introduced_at)), default=None)
        leech = target.leech or memory.leech or failures >= LEECH_FAILURES
        if _newer(memory, target):
            for name in _STUDY_FIELDS:
                setattr(target, name, getattr(memory, name))
        target.reps, target.failures, target.introduced_at, target.leech = reps, failures, introduced, leech
        target.pending = None
        target.version = top + 1  # any open showing of either is stale now
        target.save()
        memory.delete()
    open_flags = set(
        Flag.objects.filter(learner=account, resolved_at__isnull=True).values_list("question_id", flat=True)
    )
    for flag in Flag.objects.filter(learner=guest):
        if flag.resolved_at is None and flag.question_id in open_flags:
            flag.delete()  # the account already reported this question
        else:
            Flag.objects.filter(pk=flag.pk).update(learner=account)


def merge_trainer(guest, account) -> None:
    # The account's number of answers gains the guest's (User.trainer_answer_count), its row locked first, as a
    # trainer answer locks it before the scenario's memory.
    moved = RoundItem.objects.filter(learner=guest, answered_at__isnull=False).count()
    get_user_model()._base_manager.filter(pk=account.pk).update(trainer_answer_count=F("trainer_answer_count") + moved)
    mine = {m.scenario_id: m for m in ScenarioMemory.objects.select_for_update().filter(learner=account)}
    Round.objects.filter(learner=guest).update(learner=account)
    RoundItem.objects.filter(learner=guest).update(learner=account)
    for memory in ScenarioMemory.objects.select_for_update().filter(learner=guest):
        target = mine.get(memory.scenario_id)
        if target is None:
            ScenarioMemory.objects.filter(pk=memory.pk).update(learner=account)
            continue
        RoundItem.objects.filter(memory=memory).update(memory=target)
        if _newer(memory, target):
            for name in _FSRS_FIELDS:
                setattr(target, name, getattr(memory, name))
            target.save()
        memory.delete()


def merge_exams(guest, account) -> None:
    ExamAttempt.objects.filter(learner=guest).update(learner=account)
