"""Benchmark data for practice exams: 16 learners, each with a 65-question attempt in progress."""

import random
import secrets

from django.utils import timezone

from bench.seeding import CSRF_SECRET, login_session
from quizzes.exams import attempts
from quizzes.exams.models import AttemptQuestion, ExamAttempt
from studyapp.accounts.models import User

LEARNERS = 16
POSITION = 5


def seed(learner) -> dict:
    """One attempt per wrk thread, and one more that only the SQL count touches (it must not move the seq
    a thread starts from)."""
    sessions, ids, seqs, keys = [], [], [], []
    options = attempts.ExamOptions("full", 65, 240)
    for index in range(LEARNERS + 1):
        user, _ = User.objects.get_or_create(username=f"bench-exam-{index}")
        attempt = ExamAttempt.objects.of(user).in_progress().first()
        if attempt is None or attempt.deadline < timezone.now() + timezone.timedelta(minutes=30):
            ExamAttempt.objects.of(user).in_progress().update(state=ExamAttempt.State.ABANDONED)
            attempt = attempts.start(user, options, timezone.now(), random.Random(index))
        item = AttemptQuestion.objects.get(attempt=attempt, position=POSITION)
        choices = [c["key"] for c in item.snapshot["choices"]]
        sessions.append(login_session(user))
        ids.append(str(attempt.pk))
        seqs.append(str(attempt.seq))
        keys.append(f"{choices[0]}-{choices[1]}")
    return {
        "exam_sessions": ",".join(sessions[:LEARNERS]),
        "exam_attempts": ",".join(ids[:LEARNERS]),
        "exam_seqs": ",".join(seqs[:LEARNERS]),
        "exam_keys": ",".join(keys[:LEARNERS]),
        "exam_attempt": ids[LEARNERS],
        "exam_session": sessions[LEARNERS],
        "csrf_secret": CSRF_SECRET,
        "nonce": secrets.token_hex(4),
    }


def count_answer_queries(client, seed: dict):
    """Prepare one answer save as the page sends it; the returned call is what the SQL count measures."""
    attempt = ExamAttempt.objects.get(pk=seed["exam_attempt"])
    item = AttemptQuestion.objects.get(attempt=attempt, position=POSITION)
    key = [c["key"] for c in item.snapshot["choices"] if c["key"] not in item.answer][0]
    client.cookies["sessionid"] = seed["exam_session"]
    client.cookies["csrftoken"] = CSRF_SECRET
    return lambda: client.post(
        f"/exam/{attempt.pk}/q/{POSITION}/",
        {"seq": attempt.seq, "choice": [key], "flag_sent": "1"},
        secure=True,
        headers={"HX-Request": "true", "X-CSRFToken": CSRF_SECRET},
    )


BURST = 50


def seed_burst(learner) -> dict:
    """50 learners, each with a 20-question attempt in progress and every question answered."""
    sessions, ids = [], []
    options = attempts.ExamOptions("quick", 20, 30)
    for index in range(BURST):
        user, _ = User.objects.get_or_create(username=f"bench-burst-{index}")
        ExamAttempt.objects.of(user).in_progress().update(state=ExamAttempt.State.ABANDONED)
        attempt = attempts.start(user, options, timezone.now(), random.Random(1000 + index))
        items = list(AttemptQuestion.objects.filter(attempt=attempt))
        for item in items:
            item.answer = [c["key"] for c in item.snapshot["choices"] if c["correct"]]
            item.answered = True
        AttemptQuestion.objects.bulk_update(items, ["answer", "answered"])
        sessions.append(login_session(user))
        ids.append(str(attempt.pk))
    return {"burst_sessions": ",".join(sessions), "burst_attempts": ",".join(ids)}


def submit_burst(base_url: str, seed: dict) -> tuple[bool, str]:
    """50 learners submit within the same second: every attempt must end finished with its answers scored."""
    import threading
    import time
    import urllib.request

    sessions, ids = seed["burst_sessions"].split(","), seed["burst_attempts"].split(",")
    # Read here, not in the threads: a thread that queries takes a pooled connection and holds it until it ends, so
    # 50 of them would wait on a pool of 10, and one timing out would leave the others at the barrier for ever.
    seqs = dict(ExamAttempt.objects.filter(pk__in=ids).values_list("pk", "seq"))
    barrier = threading.Barrier(len(ids), timeout=60)
    statuses: list[int] = []

    def submit(session: str, attempt_id: str) -> None:
        seq = seqs[int(attempt_id)]
        request = urllib.request.Request(
            f"{base_url}/exam/{attempt_id}/submit",
            data=f"seq={seq}&confirm=yes".encode(),
            headers={
                "Cookie": f"sessionid={session}; csrftoken={CSRF_SECRET}",
                "X-CSRFToken": CSRF_SECRET,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        barrier.wait()
        try:
            statuses.append(urllib.request.build_opener(NoRedirect).open(request, timeout=30).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(sessions, ids, strict=True)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = (time.perf_counter() - started) * 1000
    finished = ExamAttempt.objects.filter(pk__in=ids, state=ExamAttempt.State.FINISHED)
    full_marks = finished.filter(scored_correct=20).count()
    ok = statuses.count(302) == len(ids) and full_marks == len(ids)
    return ok, (
        f"{len(ids)} submits released together: {statuses.count(302)} answered 302 in {elapsed:.0f} ms; "
        f"{finished.count()} attempts finished, {full_marks} with all 20 saved answers scored"
    )
