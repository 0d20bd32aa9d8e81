"""The signed-in person: profile, interests as the recommender sees them, preferred domains."""

from django.conf import settings
from rest_framework import serializers

from api.serializers.fields import StrictCharField, StrictFloatField
from content.models import BIO_MAX_LENGTH, Domain, Profile


class ProfileSerializer(serializers.ModelSerializer):
    username = StrictCharField(source="user.get_username", read_only=True)
    preferred_domains = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    has_embedding = serializers.BooleanField(read_only=True)

    class Meta:
        model = Profile
        fields = ["username", "display_name", "bio", "explore", "preferred_domains", "has_embedding"]
        read_only_fields = fields


class ProfileInputSerializer(serializers.Serializer):
    display_name = StrictCharField(max_length=80, required=False, allow_blank=True)
    bio = StrictCharField(
        max_length=BIO_MAX_LENGTH, required=False, allow_blank=True, help_text="What you are into, in your words."
    )
    explore = StrictFloatField(
        min_value=0, max_value=1, required=False, help_text="0 keeps to what you know, 1 explores widely."
    )


class InterestSerializer(serializers.Serializer):
    label = StrictCharField()
    weight = serializers.FloatField()
    source = StrictCharField()


class InterestSummarySerializer(serializers.Serializer):
    domains = serializers.DictField(child=serializers.FloatField(), help_text="Domain slug -> score in [0, 1].")
    interests = InterestSerializer(many=True)
    computed_at = serializers.DateTimeField(allow_null=True)


class DomainPreferencesSerializer(serializers.Serializer):
    domains = serializers.ListField(child=StrictCharField(), help_text="Slugs of the domains you prefer.")


class DomainPreferencesInputSerializer(serializers.Serializer):
    def get_fields(self):
        slugs = serializers.ListField(
            child=StrictCharField(max_length=40),
            max_length=settings.API_MAX_DOMAINS,
            help_text="Slugs of the domains you prefer; the list replaces the current one.",
        )
        return {"domains": slugs}

    def validate_domains(self, slugs: list[str]) -> list[Domain]:
        """All slugs resolved in one query; every unknown one is named."""
        found = {domain.slug: domain for domain in Domain.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in dict.fromkeys(slugs) if slug not in found]
        if unknown:
            raise serializers.ValidationError(f"Unknown domain: {', '.join(repr(slug) for slug in unknown[:5])}.")
        return list(found.values())
