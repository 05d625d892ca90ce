"""Forms of the authoring pages. The question form checks the bank rules field by field, so every message
sits next to its field; `quizzes.study.banks.parse_question` then has the last word, as for every import."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from quizzes.itemstats.stats import problematic_question_ids
from quizzes.models import Bank, Choice, Domain, Flag, Question, Service
from quizzes.study.banks import FORBIDDEN_CHOICES, SELECT_WORDS, SLUG, QuestionData, parse_question, references
from studyapp.content import ContentError, LineDict, content_dir

from .formats import SUFFIXES
from .importing import _field_of
from .models import BankStewardship

DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
MAX_CHOICES = 10
RESERVED_BANK_SLUGS = {"scenarios"}  # /author/scenarios/ is the trainer scenarios' page, not a bank


class BankForm(forms.Form):
    """Title, description and visibility. Archiving is the owner's separate action, not a status to pick here."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown.")
    status = forms.ChoiceField(
        label="Visibility",
        choices=[
            (BankStewardship.Status.DRAFT, "Draft: only authors see it"),
            (BankStewardship.Status.PUBLISHED, "Published: learners study its questions"),
        ],
        initial=BankStewardship.Status.DRAFT,
        widget=forms.RadioSelect,
    )


class NewBankForm(BankForm):
    slug = forms.SlugField(max_length=80, help_text="Lowercase words with dashes: the bank's address and file name.")
    field_order = ["title", "slug", "description", "status"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if not SLUG.match(slug):
            raise forms.ValidationError("Use lowercase letters, digits and single dashes, like my-lambda-quiz.")
        if slug in RESERVED_BANK_SLUGS:
            raise forms.ValidationError(f"“{slug}” is the address of another authoring page: choose another slug.")
        if Bank.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A bank with this slug exists already: choose another.")
        return slug


class CoAuthorForm(forms.Form):
    username = forms.CharField(max_length=150, label="Instructor's username")

    def __init__(self, *args, stewardship: BankStewardship, **kwargs):
        super().__init__(*args, **kwargs)
        self.stewardship = stewardship

    def clean_username(self):
        from studyapp.accounts.models import User
        from studyapp.accounts.roles import is_instructor

        user = User.objects.filter(username=self.cleaned_data["username"]).first()
        if user is None or not is_instructor(user):
            raise forms.ValidationError("No instructor has this username.")
        if user.pk == self.stewardship.owner_id:
            raise forms.ValidationError("The owner is already an author of this bank.")
        return user


def upload_max_bytes() -> int:
    """The upload limit (setting AUTHOR_UPLOAD_MAX_BYTES, default 10 MB), read when checked."""
    return getattr(settings, "AUTHOR_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES)


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def topic_choices() -> list:
    """Every topic of the catalogue, grouped by category (one query)."""
    groups: dict[str, list] = {}
    for key, name, category in Service.objects.order_by("category__order", "order").values_list(
        "key", "name", "category__name"
    ):
        groups.setdefault(category or "Other", []).append((key, f"{name} ({key})"))
    return list(groups.items())


class UploadForm(forms.Form):
    file = forms.FileField(label="Question bank file")
    format = forms.ChoiceField(
        choices=[
            ("", "From the file name (.yaml, .gift or .txt, .csv, .xml)"),
            ("yaml", "YAML"),
            ("gift", "GIFT"),
            ("csv", "CSV"),
            ("moodlexml", "Moodle XML"),
        ],
        required=False,
    )
    topic = forms.ChoiceField(
        label="Default topic",
        required=False,
        help_text=(
            "For questions whose file names no topic (a Moodle export without tags): they get this one, with a "
            "warning in the preview. Without it, such questions are refused."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"YAML, GIFT, CSV or Moodle XML, at most {size_text(upload_max_bytes())}."
        self.fields["topic"].choices = [("", "None: every question names its topic")] + topic_choices()

    def clean_file(self):
        upload, limit = self.cleaned_data["file"], upload_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {size_text(upload.size)}; the limit is {size_text(limit)}. Split it into smaller files."
            )
        return upload

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None and not data.get("format"):
            data["format"] = SUFFIXES.get(Path(upload.name).suffix.lower(), "")
            if not data["format"]:
                self.add_error("format", "Cannot tell the format from the file name: choose it here.")
        return data


class FlagResolutionForm(forms.Form):
    note = forms.CharField(
        label="What you changed (or why nothing needed to change)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuestionForm(forms.Form):
    """A question with its choices (rows choice_N, correct_N, why_N; the row count travels in `rows`)."""

    external_id = forms.CharField(label="Id", max_length=100, help_text="Stable id, lowercase-with-dashes.")
    type = forms.ChoiceField(choices=Question.Type.choices)
    stem = forms.CharField(label="Question (Markdown)", widget=forms.Textarea(attrs={"rows": 5}), required=False)
    explanation = forms.CharField(
        label="Explanation (Markdown)", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    services = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)
    domain = forms.ChoiceField(choices=Domain.choices)
    difficulty = forms.TypedChoiceField(choices=[(1, "1 easy"), (2, "2 medium"), (3, "3 hard")], coerce=int)
    note = forms.CharField(
        max_length=200,
        required=False,
        help_text="The note that teaches it: slug or slug#anchor. Empty: the note of its first service.",
    )

    def __init__(self, *args, rows: int = 4, fixed_id: bool = False, preview_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.choice_errors: list[str] = []  # rules about the set of choices, shown on the choice editor
        for name in ("stem", "explanation") if preview_url else ():
            self.fields[name].widget.attrs.update(
                {
                    "data-hx-post": preview_url,
                    "data-hx-trigger": "input changed delay:300ms",
                    "data-hx-target": f"#preview-{name}",
                    "data-hx-swap": "outerHTML",
                    "data-hx-vals": f'{{"field": "{name}"}}',
                    "data-hx-sync": "this:replace",
                }
            )
        self.fields["services"].choices = list(Service.objects.values_list("key", "name"))
        self.rows = max(2, min(rows, MAX_CHOICES))
        self.fixed_id = fixed_id
        if fixed_id:
            self.fields["external_id"].disabled = True
        for n in range(1, self.rows + 1):
            self.fields[f"choice_{n}"] = forms.CharField(label=f"Choice {n} text", required=False, max_length=1000)
            self.fields[f"correct_{n}"] = forms.BooleanField(label=f"Choice {n} is correct", required=False)
            self.fields[f"why_{n}"] = forms.CharField(
                label=f"Why choice {n} is right or wrong",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.question: QuestionData | None = None

    def _choice_error(self, message: str) -> None:
        self.choice_errors.append(message)
        self.add_error(None, message)

    def other_errors(self) -> list[str]:
        """Form-wide errors that are not about the set of choices (those sit on the choice editor)."""
        return [error for error in self.non_field_errors() if error not in self.choice_errors]

    def choice_rows(self) -> list[dict]:
        return [
            {"n": n, "text": self[f"choice_{n}"], "correct": self[f"correct_{n}"], "why": self[f"why_{n}"]}
            for n in range(1, self.rows + 1)
        ]

    def clean(self):
        data = super().clean()
        for name, label in (("stem", "question"), ("explanation", "explanation")):
            if not (data.get(name) or "").strip():
                self.add_error(name, f"Write the {label}: it is required.")
        if not self.fixed_id and data.get("external_id") and not SLUG.match(data["external_id"]):
            self.add_error("external_id", "Use lowercase letters, digits and single dashes.")
        if not data.get("services"):
            self.add_error("services", "Choose at least one service.")
        choices = self._clean_choices(data)
        if self.errors:
            return data
        if not (data.get("note") or "").strip():
            data["note"] = Service.objects.filter(key=data["services"][0]).values_list("note_slug", flat=True).first()
        entry = LineDict(line=None)
        entry.update(
            {
                "id": data["external_id"],
                "type": data["type"],
                "stem": data["stem"],
                "explanation": data["explanation"],
                "choices": choices,
                "services": data["services"],
                "domain": data["domain"],
                "difficulty": data["difficulty"],
                "note": data["note"],
            }
        )
        try:
            self.question = parse_question(entry, Path("editor"), references(content_dir()))
        except ContentError as error:
            field = {"id": "external_id", "question": None}.get(_field_of(error.reason), _field_of(error.reason))
            self.add_error(field if field in self.fields else None, error.reason.split(": ", 1)[-1])
        return data

    def _clean_choices(self, data) -> list[dict]:
        choices = []
        for n in range(1, self.rows + 1):
            text, why = (data.get(f"choice_{n}") or "").strip(), (data.get(f"why_{n}") or "").strip()
            if not text and not why:
                continue
            if not text:
                self.add_error(f"choice_{n}", "Write the choice, or clear its explanation to drop the row.")
            if not why:
                self.add_error(f"why_{n}", "Say why this choice is right or wrong.")
            if text and FORBIDDEN_CHOICES.search(text):
                self.add_error(f"choice_{n}", "No 'all of the above' or 'none of the above' options.")
            if text and text.casefold() in {c["text"].casefold() for c in choices}:
                self.add_error(f"choice_{n}", "Two choices have this text: make each choice different.")
            choices.append({"text": text, "correct": bool(data.get(f"correct_{n}")), "why": why, "n": n})
        qtype, correct = data.get("type"), sum(c["correct"] for c in choices)
        if len(choices) < 2:
            self._choice_error("Add at least two choices.")
        elif qtype == Question.Type.SINGLE:
            if correct != 1:
                self._choice_error(f"A single-answer question needs exactly one correct choice ({correct} marked).")
            elif len(choices) < 4:
                self._choice_error("A single-answer question needs at least four choices.")
        elif qtype == Question.Type.MULTIPLE:
            if correct < 2:
                self._choice_error(
                    f"A multiple-response question needs at least two correct choices ({correct} marked)."
                )
            else:
                word = SELECT_WORDS.get(correct, str(correct))
                if f"(Select {word}.)" not in (data.get("stem") or ""):
                    self.add_error("stem", f"{correct} choices are correct: end the question with “(Select {word}.)”.")
            if len(choices) < 5:
                self._choice_error("A multiple-response question needs at least five choices.")
        elif qtype == Question.Type.TRUEFALSE:
            if [c["text"] for c in choices] != ["True", "False"] or correct != 1:
                self._choice_error("A true/false question has exactly the choices “True” and “False”, one correct.")
        return [{"text": c["text"], "correct": c["correct"], "why": c["why"]} for c in choices]


def initial_for(question: Question) -> tuple[dict, int]:
    """A stored question as form data (and its number of choice rows)."""
    initial = {
        "external_id": question.external_id,
        "type": question.type,
        "stem": question.stem_md,
        "explanation": question.explanation_md,
        "services": [s.key for s in question.services.all()],
        "domain": question.domain,
        "difficulty": question.difficulty,
        "note": question.note_slug + (f"#{question.note_anchor}" if question.note_anchor else ""),
    }
    choices = list(question.choices.all())
    for n, choice in enumerate(choices, start=1):
        initial.update({f"choice_{n}": choice.text, f"correct_{n}": choice.correct, f"why_{n}": choice.why_md})
    return initial, len(choices)


class QuestionFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    service = forms.ChoiceField(required=False)
    domain = forms.ChoiceField(choices=[("", "Any domain")] + Domain.choices, required=False)
    type = forms.ChoiceField(choices=[("", "Any type")] + Question.Type.choices, required=False)
    difficulty = forms.ChoiceField(choices=[("", "Any difficulty"), ("1", "1"), ("2", "2"), ("3", "3")], required=False)
    flagged = forms.BooleanField(label="Only flagged", required=False)
    problematic = forms.BooleanField(label="Only problematic", required=False)
    unexplained = forms.BooleanField(label="Only without explanation", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Any service")] + list(Service.objects.values_list("key", "name"))

    def filter(self, questions, bank: Bank):
        """The questions matching the valid filters (subqueries, not joins: one row per question)."""
        if not self.is_valid():
            return questions
        data = self.cleaned_data
        if data["q"]:
            words = data["q"]
            questions = questions.filter(
                Q(stem_md__icontains=words) | Q(external_id__icontains=words) | Q(explanation_md__icontains=words)
            )
        if data["service"]:
            questions = questions.in_scope([data["service"]])
        for name in ("domain", "type", "difficulty"):
            if data[name]:
                questions = questions.filter(**{name: data[name]})
        if data["flagged"]:
            questions = questions.filter(Exists(Flag.objects.filter(question=OuterRef("pk"), resolved_at__isnull=True)))
        if data["problematic"]:
            questions = questions.filter(pk__in=problematic_question_ids(bank))
        if data["unexplained"]:
            questions = questions.filter(missing_explanation())
        return questions


def missing_explanation() -> Q:
    """Questions imported without an explanation, or with a choice without its why (Moodle banks often have
    no feedback): learners see "no explanation yet" there."""
    return Q(explanation_md="") | Q(Exists(Choice.objects.filter(question=OuterRef("pk"), why_md="")))
