from django.contrib.auth.forms import UserCreationForm

from studyapp.accounts.models import User


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email")
        help_texts = {"email": "Optional. Used only to reset a forgotten password."}
