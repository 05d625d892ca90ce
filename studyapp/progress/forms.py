from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.db import transaction

from quizzes.models import LearnerSettings, parse_steps
from studyapp.accounts.models import User

MIN_RETENTION, MAX_RETENTION = 0.70, 0.97


@cache
def time_zones() -> list[str]:
    """IANA zone names, sorted (read once per process from the system's or tzdata's database)."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


class SettingsForm(forms.Form):
    """The learner's study settings (quizzes.LearnerSettings) and their theme (on the user)."""

    desired_retention = forms.FloatField(
        label="Desired retention",
        help_text=(
            "The chance you want to still know a question when it comes back: between 0.70 and 0.97. "
            "Higher means more reviews per day for the same questions (going from 0.90 to 0.95 roughly "
            "doubles them); lower means fewer reviews but more forgetting."
        ),
        error_messages={"invalid": "Enter the desired retention as a number such as 0.90."},
    )
    new_per_day = forms.IntegerField(
        label="New questions per day",
        min_value=0,
        max_value=999,
        help_text="0 to 999. New questions you meet today add reviews on the following days.",
        error_messages={"invalid": "Enter a whole number of new questions per day (0 to 999)."},
    )
    reviews_per_day = forms.IntegerField(
        label="Reviews per day",
        min_value=0,
        max_value=9999,
        help_text="0 to 9,999. A low limit leaves due reviews waiting, and they get harder to recall.",
        error_messages={"invalid": "Enter a whole number of reviews per day (0 to 9,999)."},
    )
    learning_steps = forms.CharField(
        label="Learning steps",
        max_length=100,
        help_text="When a new question comes back while you learn it, e.g. 1m 10m (m minutes, h hours, d days).",
    )
    relearning_steps = forms.CharField(
        label="Relearning steps",
        max_length=100,
        help_text="When a forgotten question comes back, e.g. 10m.",
    )
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="Your study day follows it, e.g. Europe/Paris or America/New_York.",
    )
    day_start_hour = forms.IntegerField(
        label="Study day starts at",
        min_value=0,
        max_value=23,
        help_text="Hour of the day (0 to 23) when a new study day begins: 4 keeps late-night study in the day before.",
        error_messages={"invalid": "Enter the hour as a whole number from 0 to 23."},
    )
    theme = forms.ChoiceField(label="Theme", choices=User.Theme.choices, widget=forms.RadioSelect)

    def __init__(self, *args, learner, **kwargs):
        self.learner = learner
        prefs = LearnerSettings.for_learner(learner)
        initial = {name: getattr(prefs, name) for name in self.settings_fields()}
        super().__init__(*args, initial={**initial, "theme": learner.theme}, **kwargs)
        self.fields["desired_retention"].widget.attrs.update(min=MIN_RETENTION, max=MAX_RETENTION, step=0.01)
        self.fields["time_zone"].widget.attrs.update(list="time-zones", autocomplete="off")

    @staticmethod
    def settings_fields() -> list[str]:
        return [
            "desired_retention",
            "new_per_day",
            "reviews_per_day",
            "learning_steps",
            "relearning_steps",
            "time_zone",
            "day_start_hour",
        ]

    def clean_desired_retention(self) -> float:
        value = self.cleaned_data["desired_retention"]
        if not MIN_RETENTION <= value <= MAX_RETENTION:
            raise forms.ValidationError(
                f"Desired retention must be between {MIN_RETENTION:.2f} and {MAX_RETENTION:.2f} (you entered "
                f"{value:g}). Above 0.97 the reviews pile up for little gain; below 0.70 you forget too much."
            )
        return round(value, 2)

    def _clean_steps(self, name: str) -> str:
        text = " ".join(self.cleaned_data[name].split())
        try:
            steps = parse_steps(text)
        except ValueError as error:
            raise forms.ValidationError(f"{error}. Separate steps with spaces, e.g. 1m 10m.") from None
        if not steps:
            raise forms.ValidationError("Give at least one step, e.g. 10m.")
        return text

    def clean_learning_steps(self) -> str:
        return self._clean_steps("learning_steps")

    def clean_relearning_steps(self) -> str:
        return self._clean_steps("relearning_steps")

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if value not in time_zones():
            raise forms.ValidationError(
                f"“{value}” is not a time zone we know. Use a name such as Europe/Paris, America/New_York or UTC."
            )
        return value

    @transaction.atomic
    def save(self) -> LearnerSettings:
        values = {name: self.cleaned_data[name] for name in self.settings_fields()}
        prefs, _ = LearnerSettings.objects.update_or_create(learner=self.learner, defaults=values)
        self.learner.record_work(None)  # a class dashboard shows their recall under these settings
        if self.learner.theme != self.cleaned_data["theme"]:
            self.learner.theme = self.cleaned_data["theme"]
            self.learner.save(update_fields=["theme"])
        return prefs


class DeleteAccountForm(forms.Form):
    """Confirmation for deleting an account: the password for an account, a tick for a guest (who has none)."""

    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput, required=False)
    confirm = forms.BooleanField(
        label="I understand that my progress, history and settings will be deleted for good.",
        required=False,
    )

    def __init__(self, *args, learner, **kwargs):
        self.learner = learner
        super().__init__(*args, **kwargs)
        if learner.is_guest:
            del self.fields["password"]
            self.fields["confirm"].label = "I understand that my guest progress will be discarded for good."
        else:
            self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean(self):
        data = super().clean()
        if not data.get("confirm"):
            self.add_error("confirm", "Tick the box to confirm.")
        if not self.learner.is_guest:
            password = data.get("password") or ""
            if not password:
                self.add_error("password", "Enter your password to confirm.")
            elif not self.learner.check_password(password):
                self.add_error("password", "That password is not right.")
        return data
