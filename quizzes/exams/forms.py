import math

from django import forms

from quizzes.exams import attempts, blueprint
from quizzes.exams.models import ExamAttempt
from quizzes.models import Category, Service


def categories() -> list[tuple[str, str]]:
    """Every category of the catalogue (the shipped banks have questions in each: tests/test_exams.py checks it;
    an exam on a category with too few questions says so when it starts). Filtering them by their questions
    read every active question on each exam page."""
    return list(Category.objects.order_by("order").values_list("key", "name"))


def core_services() -> list[tuple[str, str]]:
    """The compute chapter's services, each of which a custom exam can be drawn from."""
    return list(Service.objects.core().values_list("key", "name"))


class StartForm(forms.Form):
    """Start an exam: a preset, or a custom exam (count, time limit or untimed, services, source, pilots)."""

    # The blank form's fields are cached by the exam home per content release and this version, which moves when
    # the fields or their template change (a cache shared by app servers outlives a deploy).
    cache_version = 1

    preset = forms.ChoiceField(choices=ExamAttempt.Preset.choices)
    count = forms.IntegerField(
        label="Number of questions", min_value=1, max_value=attempts.MAX_QUESTIONS, required=False, initial=30
    )
    minutes = forms.IntegerField(
        label="Time limit (minutes)", min_value=1, max_value=attempts.MAX_MINUTES, required=False, initial=45
    )
    untimed = forms.BooleanField(label="Untimed", required=False)
    categories = forms.MultipleChoiceField(label="Categories", required=False, widget=forms.CheckboxSelectMultiple)
    services = forms.MultipleChoiceField(label="Services", required=False, widget=forms.CheckboxSelectMultiple)
    source = forms.ChoiceField(
        label="Questions", choices=list(blueprint.SOURCES.items()), initial="all", widget=forms.RadioSelect
    )
    pilot = forms.BooleanField(label="Include unscored pilot questions, like the real exam", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Both read only when validated or shown: the exam home shows them from a fragment cached per content
        # release (templates/exams/index.html) while the form is blank.
        self.fields["services"].choices = core_services
        self.fields["categories"].choices = categories

    def clean(self):
        data = super().clean()
        preset = data.get("preset")
        if preset == ExamAttempt.Preset.CUSTOM:
            if not data.get("count"):
                self.add_error("count", "How many questions? Enter a number from 1 to 100.")
            if not data.get("untimed") and not data.get("minutes"):
                self.add_error("minutes", "Enter a time limit in minutes, or tick Untimed.")
        return data

    def options(self) -> attempts.ExamOptions:
        data = self.cleaned_data
        preset = data["preset"]
        if preset in attempts.PRESETS:
            base = attempts.PRESETS[preset]
            count = min(data.get("count") or base["count"], base["count"])  # smaller when the bank is short
            minutes = math.ceil(base["minutes"] * count / base["count"])  # the same pace as the real exam
            return attempts.ExamOptions(preset, count, minutes, pilot=bool(data.get("pilot")))
        if preset == ExamAttempt.Preset.MISSED:
            return attempts.ExamOptions(preset, data.get("count") or 20, None, source="missed")
        minutes = None if data.get("untimed") else data["minutes"]
        services = list(data.get("services") or [])
        if data.get("categories"):  # a category stands for every topic in it
            chosen = Service.objects.filter(category__key__in=data["categories"]).values_list("key", flat=True)
            services += [key for key in chosen if key not in services]
        return attempts.ExamOptions(preset, data["count"], minutes, services, data["source"], bool(data.get("pilot")))
