from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from content.models import BIO_MAX_LENGTH, Domain, Interaction
from content.usernames import validate_username_unambiguous
from recommendations.types import MAX_QUERY_LENGTH

BIO_PLACEHOLDER = "e.g. I love the ocean, marine biology and long documentaries about coral reefs."

# Steps of the explore control: (value, label). Five steps keep the choice readable without JavaScript.
EXPLORE_STEPS = [
    (0.0, "Focused"),
    (0.25, "Mostly familiar"),
    (0.5, "Balanced"),
    (0.75, "Curious"),
    (1.0, "Adventurous"),
]


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; only used to reset your password.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_username(self):
        username = super().clean_username()
        if username:  # None once Django found the name taken
            validate_username_unambiguous(username)
        return username


class OnboardingForm(forms.Form):
    bio = forms.CharField(
        label="About you",
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": BIO_PLACEHOLDER}),
        help_text=f"A few sentences in your own words (up to {BIO_MAX_LENGTH} characters).",
    )
    domains = forms.ModelMultipleChoiceField(
        label="Sections you care about (optional)",
        queryset=Domain.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=80, required=False)
    bio = forms.CharField(
        label="About you and what you like",
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": BIO_PLACEHOLDER}),
        help_text=f"Your feed is built from these words (up to {BIO_MAX_LENGTH} characters).",
    )


class FeedParamsForm(forms.Form):
    """The GET parameters of the feed; invalid ones are reported and left out of the request."""

    q = forms.CharField(label="In the mood for…", required=False, max_length=MAX_QUERY_LENGTH, strip=True)
    domain = forms.CharField(required=False, max_length=100)
    explore = forms.FloatField(label="Explore", required=False, min_value=0.0, max_value=1.0)
    offset = forms.IntegerField(required=False, min_value=0, max_value=10_000)


class ExploreForm(forms.Form):
    explore = forms.FloatField(min_value=0.0, max_value=1.0)


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in Interaction.STATE_KINDS])
    value = forms.IntegerField(required=False, min_value=1, max_value=5)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Interaction.Kind.RATING and cleaned.get("value") is None:
            raise forms.ValidationError("Pick a rating from 1 to 5.")
        return cleaned
