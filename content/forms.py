from django import forms
from django.db.models.fields.files import FieldFile

from content import images
from content.models import DESCRIPTION_MAX_LENGTH, ITEM_EDITABLE_FIELDS, TITLE_MAX_LENGTH, Domain, Item
from content.services import normalize_tags


class TagsField(forms.CharField):
    """Tags typed as 'a, b, c' (or given as a list by an importer)."""

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return normalize_tags(value)
        return normalize_tags(super().to_python(value))

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class ItemForm(forms.ModelForm):
    """Validation shared by the admin and the importers."""

    tags = TagsField(required=False, help_text="Comma-separated.")
    description = forms.CharField(required=False, widget=forms.Textarea, max_length=DESCRIPTION_MAX_LENGTH, strip=True)

    class Meta:
        model = Item
        fields = list(ITEM_EDITABLE_FIELDS)

    def clean_title(self):
        title = (self.cleaned_data.get("title") or "").strip()
        if not title:
            raise forms.ValidationError("An item needs a title.")
        return title[:TITLE_MAX_LENGTH]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        # A picture already stored (unchanged, or a cover the site drew) was checked when it arrived.
        if not image or isinstance(image, FieldFile):
            return image
        return images.image_clean(image)

    def clean_tags(self):
        tags = self.cleaned_data.get("tags") or []
        if len(tags) > 20:
            raise forms.ValidationError("At most 20 tags.")
        too_long = [tag for tag in tags if len(tag) > 50]
        if too_long:
            raise forms.ValidationError(f"Tags are at most 50 characters: {too_long[0][:60]}")
        return tags


class ImportItemForm(ItemForm):
    """An import row names its domain by slug or name; unknown ones are reported, not created."""

    domain = forms.CharField(max_length=60)

    def clean_domain(self):
        value = self.cleaned_data["domain"].strip()
        domain = Domain.objects.filter(slug__iexact=value).first() or Domain.objects.filter(name__iexact=value).first()
        if domain is None:
            known = ", ".join(Domain.objects.values_list("slug", flat=True))
            raise forms.ValidationError(f"Unknown domain '{value}'. Known domains: {known}.")
        return domain
