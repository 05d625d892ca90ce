import factory
from django.contrib.auth.models import Group

from studyapp.accounts.models import User
from studyapp.accounts.roles import INSTRUCTORS_GROUP

PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class InstructorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"instructor{n}")

    @factory.post_generation
    def instructor_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get_or_create(name=INSTRUCTORS_GROUP)[0])


# ---- Study: question banks and memory (quizzes) ----


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.Service"
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda s: s.key.replace("-", " ").title())
    short = factory.LazyAttribute(lambda s: s.name)
    use_when = "When it fits."
    limits = "Some limits."
    pricing = "Pay for what you use."
    managed = "Fully managed."
    note_slug = "lambda"
    in_palette = True  # a service the scenario trainer offers as an answer


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.Bank"
        django_get_or_create = ("slug",)

    slug = "test-bank"
    title = "Test bank"


class QuestionFactory(factory.django.DjangoModelFactory):
    """A valid question with its choices and revision snapshot: single (4 choices, the first right),
    multiple (5 choices, the first two right) or truefalse ("True" right)."""

    class Meta:
        model = "quizzes.Question"
        skip_postgeneration_save = True

    bank = factory.SubFactory(BankFactory)
    external_id = factory.Sequence(lambda n: f"question-{n}")
    type = "single"
    stem_md = factory.Sequence(lambda n: f"Question number {n}?")
    stem_html = factory.LazyAttribute(lambda q: f"<p>{q.stem_md}</p>")
    explanation_md = "Because."
    explanation_html = "<p>Because.</p>"
    domain = "cloud-technology"
    difficulty = 1
    note_slug = "lambda"
    position = factory.Sequence(lambda n: n)
    correct_count = factory.LazyAttribute(lambda q: 2 if q.type == "multiple" else 1)
    source_hash = "test"

    @factory.post_generation
    def choices(self, create, extracted, **kwargs):
        from quizzes.models import Choice, QuestionRevision
        from quizzes.study.bank_writing import _snapshot

        if not create:
            return
        if self.type == "truefalse":
            texts = ["True", "False"]
        else:
            texts = [f"Option {letter}" for letter in "ABCDE"[: 5 if self.type == "multiple" else 4]]
        choices = Choice.objects.bulk_create(
            Choice(
                question=self,
                key=key,
                text=text,
                text_html=text,
                correct=key <= self.correct_count,
                why_md=f"Why {text}.",
                why_html=f"<p>Why {text}.</p>",
            )
            for key, text in enumerate(texts, start=1)
        )
        QuestionRevision.objects.create(question=self, number=self.revision, snapshot=_snapshot(self, choices))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)


# ---------------------------------------------------------------- scenario trainer

from django.utils import timezone  # noqa: E402


class TrainerAnswerFactory(factory.django.DjangoModelFactory):
    """An answered round item (history for the confusion matrix). Pass round=, scenario=, memory=."""

    class Meta:
        model = "trainer.RoundItem"
        skip_postgeneration_save = True

    learner = factory.SelfAttribute("round.learner")
    position = factory.Sequence(lambda n: n + 1)
    answered_at = factory.LazyFunction(timezone.now)
    chosen = factory.LazyAttribute(lambda item: item.chosen_key.split("+"))
    expected_key = factory.LazyAttribute(lambda item: item.scenario.answer_key)
    chosen_key = factory.LazyAttribute(lambda item: item.scenario.answer_key)
    correct = factory.LazyAttribute(lambda item: item.chosen_key == item.expected_key)
    response_ms = 5000

    @factory.post_generation
    def counted(self, create, extracted, **kwargs):
        """The learner's number of answers (User.trainer_answer_count) moves with each answer, as in the app."""
        if create and self.answered_at is not None:
            type(self.learner).recount_trainer_answers([self.learner_id])


# ---------------------------------------------------------------- instructor authoring (quizzes/authoring)


class StewardshipFactory(factory.django.DjangoModelFactory):
    """An instructor's bank (source "import") with its owner; published unless told otherwise."""

    class Meta:
        model = "authoring.BankStewardship"
        skip_postgeneration_save = True

    bank = factory.SubFactory(
        BankFactory,
        slug=factory.Sequence(lambda n: f"instructor-bank-{n}"),
        title=factory.Sequence(lambda n: f"Instructor bank {n}"),
        source="import",
    )
    owner = factory.SubFactory(InstructorFactory)
    status = "published"

    @factory.post_generation
    def co_authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.co_authors.set(extracted)


class FlagFactory(factory.django.DjangoModelFactory):
    """A learner's open flag on a question, at the question's current revision."""

    class Meta:
        model = "quizzes.Flag"

    learner = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    revision = factory.LazyAttribute(lambda flag: flag.question.revision)
    comment = "The explanation says 15 minutes but the answer says 5."


# ---------------------------------------------------------------- progress dashboard (studyapp/progress)

from datetime import timedelta  # noqa: E402


class QuestionMemoryFactory(factory.django.DjangoModelFactory):
    """A learner's memory of a question in review state: stability 10 days, reviewed a day ago."""

    class Meta:
        model = "quizzes.QuestionMemory"

    learner = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    state = 2  # Review
    step = None
    stability = 10.0
    difficulty = 5.0
    last_review = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    due = factory.LazyAttribute(lambda memory: memory.last_review + timedelta(days=10))
    introduced_at = factory.LazyAttribute(lambda memory: memory.last_review)
    reps = 1
    version = 1


class ReviewLogFactory(factory.django.DjangoModelFactory):
    """One right answer rated Good, to a question that was in review state (`before`)."""

    class Meta:
        model = "quizzes.ReviewLog"

    memory = factory.SubFactory(QuestionMemoryFactory)
    learner = factory.SelfAttribute("memory.learner")
    seq = factory.Sequence(lambda n: n)
    revision = 1
    rating = 3
    shown = [1, 2, 3, 4]
    answer = [1]
    correct = True
    response_ms = 4000
    reviewed_at = factory.LazyFunction(timezone.now)
    before = factory.LazyFunction(lambda: {"state": 2})
    scheduled_due = factory.LazyAttribute(lambda log: log.reviewed_at + timedelta(days=10))


# ---------------------------------------------------------------- classes (quizzes/classes)


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "classes.Classroom"

    name = factory.Sequence(lambda n: f"Class {n}")
    owner = factory.SubFactory(InstructorFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "classes.Membership"

    classroom = factory.SubFactory(ClassroomFactory)
    learner = factory.SubFactory(UserFactory)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """A "review N questions" assignment due in a week."""

    class Meta:
        model = "classes.Assignment"

    classroom = factory.SubFactory(ClassroomFactory)
    title = factory.Sequence(lambda n: f"Assignment {n}")
    kind = "review"
    target = 3
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
