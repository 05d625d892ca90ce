"""Benchmark data for the study session.

BENCH_FULL=1: 10,000 questions and 1,000,000 review logs over 500 learners (the issue's target).
Otherwise a small set (300 questions, 20,000 logs) so a normal `make bench` stays quick.
Idempotent: a second run on the same database adds nothing.
"""

import os
import random
import tempfile
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bench.seeding import CSRF_SECRET, login_session
from quizzes.models import Bank, Choice, Question, QuestionMemory, QuestionRevision, ReviewLog, Service
from quizzes.study.scheduling import State
from studyapp.accounts.models import User

LEARNERS = 500


def sizes() -> tuple[int, int]:
    full = os.environ.get("BENCH_FULL") == "1"
    return (10_000, 1_000_000) if full else (300, 20_000)


def seed(learner) -> dict:
    question_count, log_count = sizes()
    with transaction.atomic():
        questions = _questions(question_count)
        people = _learners()
        if ReviewLog.objects.filter(learner__username__startswith="bench-learner-").count() < log_count:
            _history(people, questions, log_count)
        _bench_learner_history(learner, questions)
    return {"study_questions": len(questions)}


def _questions(count: int) -> list[int]:
    bank, _ = Bank.objects.get_or_create(slug="bench", defaults={"title": "Benchmark bank", "source": "import"})
    have = bank.questions.count()
    if have < count:
        services = list(Service.objects.values_list("pk", flat=True)) or [
            Service.objects.create(
                key="lambda",
                name="AWS Lambda",
                short="Lambda",
                use_when="",
                limits="",
                pricing="",
                managed="",
                note_slug="lambda",
            ).pk
        ]
        new = Question.objects.bulk_create(
            Question(
                bank=bank, external_id=f"bench-{n}", type="single", stem_md=f"Bench question {n}?",
                stem_html=f"<p>Bench question {n}? Which compute service fits a short event-driven task?</p>",
                explanation_md="Because.", explanation_html="<p>Because Lambda runs code on events.</p>",
                domain="cloud-technology", difficulty=1 + n % 3, note_slug="lambda", position=10_000 + n,
                source_hash="bench",
            )
            for n in range(have, count)
        )  # fmt: skip
        Choice.objects.bulk_create(
            Choice(
                question=q, key=k, text=f"Option {k}", text_html=f"Option {k}", correct=k == 1,
                why_md="Why.", why_html="<p>Why this option is right or wrong.</p>",
            )
            for q in new
            for k in range(1, 5)
        )  # fmt: skip
        Question.services.through.objects.bulk_create(
            Question.services.through(question=q, service_id=services[i % len(services)]) for i, q in enumerate(new)
        )
        QuestionRevision.objects.bulk_create(QuestionRevision(question=q, number=1, snapshot={}) for q in new)
    return list(bank.questions.values_list("pk", flat=True))


def _learners() -> list[User]:
    existing = set(User.objects.filter(username__startswith="bench-learner-").values_list("username", flat=True))
    User.objects.bulk_create(
        User(username=f"bench-learner-{n}", password="!")
        for n in range(LEARNERS)
        if f"bench-learner-{n}" not in existing
    )
    return list(User.objects.filter(username__startswith="bench-learner-"))


def _history(people: list[User], questions: list[int], log_count: int) -> None:
    """Each learner studied some questions a few times: memories plus their append-only logs."""
    ReviewLog.objects.filter(learner__in=people).delete()
    QuestionMemory.objects.filter(learner__in=people).delete()
    rng = random.Random(42)
    now = timezone.now()
    per_learner = log_count // len(people)
    reviews_each = 4
    studied = max(1, min(len(questions), per_learner // reviews_each))
    for person in people:
        picked = rng.sample(questions, studied)
        memories = QuestionMemory.objects.bulk_create(
            QuestionMemory(
                learner=person, question_id=q, state=State.Review, step=None, stability=rng.uniform(1, 60),
                difficulty=rng.uniform(2, 8), due=now + timedelta(hours=rng.randint(-72, 24 * 30)),
                last_review=now - timedelta(days=rng.randint(1, 30)), introduced_at=now - timedelta(days=60),
                reps=reviews_each, version=reviews_each,
            )
            for q in picked
        )  # fmt: skip
        logs = []
        for memory in memories:
            for seq in range(reviews_each):
                if len(logs) >= per_learner:
                    break
                logs.append(
                    ReviewLog(
                        learner=person, memory=memory, seq=seq, revision=1, rating=rng.choice((1, 3, 3, 3, 4)),
                        shown=[2, 1, 4, 3], answer=[1], correct=True, response_ms=rng.randint(2000, 30000),
                        reviewed_at=now - timedelta(days=60 - 14 * seq), before={}, scheduled_due=now,
                    )
                )  # fmt: skip
        ReviewLog.objects.bulk_create(logs, batch_size=5000)


def _bench_learner_history(learner, questions: list[int]) -> None:
    """The measured learner has reviews due now and new questions left, the usual state of a session."""
    if QuestionMemory.objects.filter(learner=learner).exists():
        return
    now = timezone.now()
    QuestionMemory.objects.bulk_create(
        QuestionMemory(
            learner=learner, question_id=q, state=State.Review, step=None, stability=10, difficulty=5,
            due=now - timedelta(hours=1) if n % 2 else now + timedelta(days=n), last_review=now - timedelta(days=10),
            introduced_at=now - timedelta(days=20), reps=2, version=2,
        )
        for n, q in enumerate(questions[: len(questions) // 3])
    )  # fmt: skip


# ---------------------------------------------------------------- answer and rate POSTs (wrk, bench/study_post.lua)

POST_THREADS = 16  # wrk connections, one thread each
POST_LEARNERS = 48  # three per thread (a bank of 500 questions gives each learner 250 new ones); one more counts SQL
POSTS_PER_LEARNER = 400


def seed_posts(learner) -> dict:
    """Fresh one-time tokens for wrk: per learner, answer tokens for new questions and rate tokens of right
    answers waiting for their rating. Written to two files (one line per learner: session, then token and
    choice pairs) that the Lua scripts read, since thousands of tokens do not fit in an environment variable.
    Idempotent: each run starts these bench learners over (a kept PostgreSQL bench database would otherwise
    run out of questions they have not met) and mints tokens for new questions."""
    from quizzes.study import session
    from quizzes.study.answers import answer, check_answer, read_token

    now = timezone.now()
    answers, rates, count_answer, count_rate = [], [], None, None
    for index in range(POST_LEARNERS + 1):
        user, _ = User.objects.get_or_create(username=f"bench-study-{index}")
        QuestionMemory.objects.filter(learner=user).delete()  # with their review logs
        fresh = _new_question_ids(user, 2 * POSTS_PER_LEARNER)
        half = len(fresh) // 2
        to_answer, to_rate = fresh[:half], fresh[half:]
        choices = _choices_by_question(fresh)
        answer_pairs, rate_pairs = [], []
        for position, question_id in enumerate(to_answer):
            showing = session.show(user, choices[question_id][0].question, None, now, choices=choices[question_id])
            right = [c.pk for c in showing.choices if c.correct]
            wrong = [c.pk for c in showing.choices if not c.correct][: len(right)]  # as many as asked for
            given = right if position % 2 else wrong  # half right, half wrong
            answer_pairs.append((showing.token, "+".join(str(pk) for pk in given)))
        for question_id in to_rate:
            showing = session.show(user, choices[question_id][0].question, None, now, choices=choices[question_id])
            data = read_token(showing.token, user, "study.answer")
            right = [c.pk for c in showing.choices if c.correct]
            feedback = answer(user, check_answer(data, right, now), now)
            rate_pairs.append((feedback.rate_token, 3))
        session_key = login_session(user)
        if index == POST_LEARNERS:
            count_answer = (session_key, answer_pairs)
            count_rate = (session_key, rate_pairs)
            continue
        answers.append(session_key + " " + " ".join(f"{token},{choice}" for token, choice in answer_pairs))
        rates.append(session_key + " " + " ".join(f"{token},{rating}" for token, rating in rate_pairs))
    # One line per wrk thread, each with the sessions and tokens of POST_LEARNERS / POST_THREADS learners.
    answers = [" ".join(answers[thread::POST_THREADS]) for thread in range(POST_THREADS)]
    rates = [" ".join(rates[thread::POST_THREADS]) for thread in range(POST_THREADS)]
    paths = {}
    for name, lines in (("answers", answers), ("rates", rates)):
        with tempfile.NamedTemporaryFile("w", prefix=f"study-bench-{name}-", suffix=".txt", delete=False) as out:
            out.write("\n".join(lines) + "\n")
            paths[f"study_{name}_file"] = out.name
    return {
        **paths,
        "study_count_session": count_answer[0],
        "study_count_answers": " ".join(f"{t},{c}" for t, c in count_answer[1][:4]),
        "study_count_rates": " ".join(f"{t},{r}" for t, r in count_rate[1][:4]),
        "csrf_secret": CSRF_SECRET,
    }


def _new_question_ids(user, limit: int) -> list[int]:
    """Active questions this learner never met, in bank order."""
    met = QuestionMemory.objects.filter(learner=user).values("question_id")
    return list(
        Question.objects.active().exclude(pk__in=met).order_by("position", "pk").values_list("pk", flat=True)[:limit]
    )


def _choices_by_question(question_ids: list[int]) -> dict[int, list[Choice]]:
    out: dict[int, list[Choice]] = {}
    for choice in Choice.objects.filter(question_id__in=question_ids).select_related("question").order_by("key"):
        out.setdefault(choice.question_id, []).append(choice)
    return out


class _Succeeded:
    """bench/run.py checks the counted request answered 200; a rating's success is a 303 See Other to the
    queue (the page then loads the next question), so that, and only that, is reported as 200."""

    def __init__(self, response, expected: int):
        self.response = response
        self.status_code = 200 if response.status_code == expected else response.status_code


def _post(client, seed: dict, path: str, pairs_key: str, field: str, expected: int):
    """Prepare one POST of a fresh token (the first of the counting learner's that is still unused)."""
    client.cookies["sessionid"] = seed["study_count_session"]
    client.cookies["csrftoken"] = CSRF_SECRET
    pairs = seed[pairs_key].split()
    used = _counting_uses.setdefault(pairs_key, 0)
    _counting_uses[pairs_key] = used + 1
    token, value = pairs[used % len(pairs)].split(",")
    return lambda: _Succeeded(
        client.post(
            path,
            {"token": token, field: value.split("+")},
            secure=True,
            headers={"HX-Request": "true", "X-CSRFToken": CSRF_SECRET},
        ),
        expected,
    )


_counting_uses: dict[str, int] = {}


def count_answer_queries(client, seed: dict):
    """The answer POST as the page sends it (htmx), with a fresh token: what the SQL count measures."""
    return _post(client, seed, "/study/answer/", "study_count_answers", "choice", 200)


def count_rate_queries(client, seed: dict):
    """The rate POST (Good) of a right answer waiting for its rating, with a fresh token."""
    return _post(client, seed, "/study/rate/", "study_count_rates", "rating", 303)
