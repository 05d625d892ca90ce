from django import forms

from quizzes.classes.models import Assignment, Classroom, normalize_code
from quizzes.exams import attempts
from quizzes.models import Bank, BankStatus, Category, Service
from studyapp.accounts.roles import is_instructor

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ClassForm(forms.ModelForm):
    class Meta:
        model = Classroom
        fields = ["name", "description", "ends_on"]
        labels = {"ends_on": "End date (optional)", "description": "Description (optional)"}
        widgets = {"ends_on": forms.DateInput(attrs={"type": "date"}), "description": forms.Textarea(attrs={"rows": 3})}


class JoinForm(forms.Form):
    code = forms.CharField(label="Join code", max_length=20, help_text="8 letters and digits, from your instructor.")

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])


class CoTeacherForm(forms.Form):
    username = forms.CharField(max_length=150, label="Instructor's username")

    def __init__(self, *args, classroom: Classroom, **kwargs):
        super().__init__(*args, **kwargs)
        self.classroom = classroom

    def clean_username(self):
        from studyapp.accounts.models import User

        user = User.objects.filter(username=self.cleaned_data["username"]).first()
        if user is None or not is_instructor(user):
            raise forms.ValidationError("No instructor has this username.")
        if user.pk == self.classroom.owner_id:
            raise forms.ValidationError("The owner already teaches this class.")
        return user


def _banks():
    """Banks learners can see: content banks and published instructor banks."""
    return Bank.objects.exclude(stewardship__status__in=[BankStatus.DRAFT, BankStatus.ARCHIVED]).order_by("title")


class AssignmentForm(forms.ModelForm):
    """One form for every kind; the fields a kind does not use are ignored (and cleared) on save."""

    topics = forms.MultipleChoiceField(
        label="Topics", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Study and custom exams: any of these topics. A drill: exactly two (a pair).",
    )  # fmt: skip
    category = forms.ChoiceField(label="Category (family of topics)", required=False)

    class Meta:
        model = Assignment
        fields = [
            "title", "kind", "bank", "category", "topics", "target", "exam_preset", "exam_count", "exam_minutes",
            "max_attempts", "opens_at", "due_at",
        ]  # fmt: skip
        labels = {
            "bank": "Question bank (optional)",
            "target": "N (reviews, or right answers in a drill)",
            "exam_preset": "Exam",
            "exam_count": "Questions (custom exam)",
            "exam_minutes": "Time limit in minutes (custom exam; empty: untimed until the due time)",
            "max_attempts": "Attempts allowed (exam)",
            "opens_at": "Opens (optional, UTC)",
            "due_at": "Due (UTC)",
        }
        widgets = {"opens_at": DATETIME_INPUT, "due_at": DATETIME_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = _banks()
        self.fields["topics"].choices = list(Service.objects.values_list("key", "name"))
        self.fields["category"].choices = [("", "—")] + list(Category.objects.values_list("key", "name"))
        self.fields["exam_preset"].required = False
        for name in ("opens_at", "due_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def clean(self):
        data = super().clean()
        kind, topics, category = data.get("kind"), data.get("topics") or [], data.get("category")
        opens, due = data.get("opens_at"), data.get("due_at")
        if opens and due and opens >= due:
            self.add_error("due_at", "The due time must come after the opening.")
        if topics and category:
            self.add_error("category", "Choose a category or topics, not both.")
        if kind in (Assignment.Kind.REVIEW, Assignment.Kind.DRILL) and not data.get("target"):
            self.add_error("target", "How many? Enter a number of at least 1.")
        if kind == Assignment.Kind.MASTER and not (topics or category or data.get("bank")):
            self.add_error("topics", "Choose the topics (or a category or bank) to master.")
        if kind == Assignment.Kind.DRILL:
            if data.get("bank"):
                self.add_error("bank", "A drill uses the scenario trainer, not a question bank.")
            if not category and len(topics) != 2:
                self.add_error("topics", "A drill needs a category, or exactly two topics (a pair).")
        if kind == Assignment.Kind.EXAM:
            preset = data.get("exam_preset")
            if not preset:
                self.add_error("exam_preset", "Choose the exam.")
            elif preset == Assignment.ExamPreset.CUSTOM:
                count = data.get("exam_count")
                if not count or not 1 <= count <= attempts.MAX_QUESTIONS:
                    self.add_error("exam_count", f"Enter a number of questions from 1 to {attempts.MAX_QUESTIONS}.")
                minutes = data.get("exam_minutes")
                if minutes is not None and not 1 <= minutes <= attempts.MAX_MINUTES:
                    self.add_error("exam_minutes", f"Enter 1 to {attempts.MAX_MINUTES} minutes, or leave it empty.")
            if not data.get("max_attempts"):
                self.add_error("max_attempts", "Allow at least one attempt.")
        return data

    def save(self, commit=True):
        assignment = super().save(commit=False)
        kind = assignment.kind
        if kind != Assignment.Kind.EXAM:
            assignment.exam_preset, assignment.exam_count, assignment.exam_minutes = "", None, None
        elif assignment.exam_preset != Assignment.ExamPreset.CUSTOM:
            assignment.exam_count = assignment.exam_minutes = None
            assignment.bank, assignment.topics, assignment.category = None, [], ""
        if kind not in (Assignment.Kind.REVIEW, Assignment.Kind.DRILL):
            assignment.target = None
        if commit:
            assignment.save()
        return assignment
