"""The error body every API error has (platform_site.errors.error_body), as the schema describes it."""

from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_found, throttled.")
    message = serializers.CharField(help_text="Safe to show to a person.")
    fields = serializers.DictField(
        child=serializers.JSONField(), help_text="Per-field messages for invalid input; empty otherwise."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
