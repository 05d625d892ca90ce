"""The trainer scenario editor on /author/scenarios/. The rules are the content loader's
(`quizzes.trainer.scenarios.check_scenario`); this form only turns the fields into a scenario and puts
each problem next to the field it is about."""

from django import forms

from quizzes.models import Service
from quizzes.study.banks import SLUG
from quizzes.trainer.models import Scenario
from quizzes.trainer.scenarios import check_scenario, rendered

from .editing import SCENARIO_ID_TAKEN

WRONG_CHOICE_ROWS = 5  # the content scenarios give three; a fixed set of rows needs no JavaScript
MIN_AUTHORED_WHY_NOTS = 1
PREVIEW_TRIGGER = {
    "data-hx-trigger": "input changed delay:300ms",
    "data-hx-target": "#scenario-preview",
    "data-hx-swap": "outerHTML",
    "data-hx-include": "closest form",
    # One preview at a time for the whole form (the latest replaces any in flight, whichever field sent it), synced
    # on the preview, not on the form: a late preview must never cancel a save.
    "data-hx-sync": "#scenario-preview:replace",
}


def clue_lines(value: str) -> list[str]:
    """The clue phrases of the clues box: one a line, blank lines dropped."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _sentence(message: str) -> str:
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


class ScenarioForm(forms.Form):
    """A scenario: text, answer, clues, why, and rows wrong_N / why_not_N for the plausible wrong choices."""

    external_id = forms.CharField(
        label="Id",
        max_length=80,
        required=False,
        help_text="Lowercase-with-dashes. Leave empty to make one from the text; it cannot change once saved.",
    )
    status = forms.ChoiceField(
        label="Visibility",
        choices=[
            (Scenario.Status.DRAFT, "Draft: only you see it"),
            (Scenario.Status.PUBLISHED, "Published: learners meet it in trainer rounds"),
        ],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label="Scenario",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One to four sentences describing a realistic situation. Do not name the service.",
    )
    clues = forms.CharField(
        label="Clue phrases, one a line",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Exact phrases of the scenario that point at the answer: highlighted for learners after they answer.",
    )
    answer = forms.MultipleChoiceField(
        label="Answer",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="One service, or two used together.",
    )
    difficulty = forms.TypedChoiceField(choices=[(1, "1 easy"), (2, "2 medium"), (3, "3 hard")], coerce=int)
    why = forms.CharField(
        label="Why the answer fits (Markdown)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, fixed_id: bool = False, preview_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        services = list(Service.objects.values_list("key", "name"))
        self.fields["answer"].choices = services
        self.fixed_id = fixed_id
        if fixed_id:
            self.fields["external_id"].disabled = True
            self.fields["external_id"].help_text = "The id cannot change: learners' progress refers to it."
        for n in range(1, WRONG_CHOICE_ROWS + 1):
            self.fields[f"wrong_{n}"] = forms.ChoiceField(
                label=f"Wrong choice {n}", choices=[("", "(none)")] + services, required=False
            )
            self.fields[f"why_not_{n}"] = forms.CharField(
                label=f"Why wrong choice {n} does not fit (Markdown)",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )
        self.why_not_errors: list[str] = []  # rules about the set of wrong choices, shown on their fieldset
        self.scenario: dict | None = None  # the valid scenario, for editing.save_scenario
        if preview_url:
            for name, field in self.fields.items():
                if name not in ("external_id", "status", "difficulty"):
                    field.widget.attrs.update({"data-hx-post": preview_url, **PREVIEW_TRIGGER})
                if name == "answer" or name.startswith("wrong_"):  # a ticked box keeps its value: not "changed"
                    field.widget.attrs["data-hx-trigger"] = "change"

    def wrong_rows(self) -> list[dict]:
        return [
            {"n": n, "service": self[f"wrong_{n}"], "why_not": self[f"why_not_{n}"]}
            for n in range(1, WRONG_CHOICE_ROWS + 1)
        ]

    def clean_external_id(self) -> str:
        external_id = self.cleaned_data["external_id"].strip()
        if self.fixed_id or not external_id:
            return external_id
        if not SLUG.match(external_id):
            raise forms.ValidationError("Use lowercase letters, digits and single dashes, like lambda-thumbnails.")
        if Scenario.objects.filter(external_id=external_id).exists():
            raise forms.ValidationError(SCENARIO_ID_TAKEN)
        return external_id

    def clean(self):
        data = super().clean()
        why_not, row_of = {}, {}
        for n in range(1, WRONG_CHOICE_ROWS + 1):
            key, reason = data.get(f"wrong_{n}") or "", (data.get(f"why_not_{n}") or "").strip()
            if not key and not reason or f"wrong_{n}" in self.errors:
                continue
            if not key:
                self.add_error(f"wrong_{n}", "Choose the service this reason is about, or clear the reason.")
            elif key in why_not:
                self.add_error(f"wrong_{n}", "This service is listed already: give one reason per wrong choice.")
            else:
                why_not[key], row_of[key] = reason, n
        scenario = {
            "text": (data.get("text") or "").strip(),
            "answer": data.get("answer") or [],
            "difficulty": data.get("difficulty"),
            "clues": clue_lines(data.get("clues")),
            "why": (data.get("why") or "").strip(),
            "why_not": why_not,
        }
        problems = check_scenario(
            **scenario,
            services=set(dict(self.fields["answer"].choices)),
            min_why_nots=MIN_AUTHORED_WHY_NOTS,
        )
        for problem in problems:
            field = problem.field
            if field == "why_not":
                self.why_not_errors.append(_sentence(problem.message))
                self.add_error(None, _sentence(problem.message))
                continue
            if field in ("why_not_service", "why_not_reason"):
                n = row_of[problem.key]
                field = f"wrong_{n}" if field == "why_not_service" else f"why_not_{n}"
            if field not in self.errors:  # one message a field: Django's own (an invalid choice) comes first
                self.add_error(field, _sentence(problem.message))
        if not self.errors:
            self.scenario = {**scenario, "external_id": data["external_id"], "status": data["status"]}
        return data

    def other_errors(self) -> list[str]:
        """Form-wide errors not shown on the wrong choices' fieldset."""
        return [error for error in self.non_field_errors() if error not in self.why_not_errors]


def initial_for_scenario(scenario: Scenario) -> dict:
    """A stored scenario as form data."""
    initial = {
        "external_id": scenario.external_id,
        "status": scenario.status,
        "text": scenario.text_md,
        "clues": "\n".join(scenario.clues),
        "answer": list(scenario.answer),
        "difficulty": scenario.difficulty,
        "why": scenario.why_md,
    }
    for n, (key, reason) in enumerate(scenario.why_not_md.items(), start=1):
        initial.update({f"wrong_{n}": key, f"why_not_{n}": reason})
    return initial


def scenario_preview(source, names: dict[str, str]) -> dict:
    """What learners would see, from the editor's fields as they are (valid or not): the text with its clues
    highlighted, the answer, and the why / why-not explanations, all through the loader's rendering."""
    answer = source.getlist("answer") if hasattr(source, "getlist") else list(source.get("answer") or [])
    why_not = {}
    for n in range(1, WRONG_CHOICE_ROWS + 1):
        key, reason = source.get(f"wrong_{n}") or "", (source.get(f"why_not_{n}") or "").strip()
        if key in names and reason and key not in why_not:
            why_not[key] = reason
    values = rendered(
        text=(source.get("text") or "").strip(),
        answer=[key for key in answer if key in names][:2],
        clues=clue_lines(source.get("clues")),
        why=(source.get("why") or "").strip(),
        why_not=why_not,
    )
    return {
        "highlighted_html": values["highlighted_html"],
        "answer": [names[key] for key in values["answer"]],
        "why_html": values["why_html"],
        "why_not": [(names[key], html) for key, html in values["why_not_html"].items()],
    }
