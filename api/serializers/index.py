"""The API's front door: where everything is and how to get in."""

from rest_framework import serializers


class AuthenticationInfoSerializer(serializers.Serializer):
    header = serializers.CharField(help_text="What to send with each request.")
    token_url = serializers.URLField(help_text="POST a username and password here for the key.")
    revoke_url = serializers.URLField(help_text="POST here to end the token.")
    description = serializers.CharField()


class ApiIndexSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    resources = serializers.DictField(child=serializers.URLField(), help_text="Resource name -> absolute URL.")
    schema = serializers.URLField(help_text="The OpenAPI document.")
    docs = serializers.URLField(help_text="Swagger UI.")
    redoc = serializers.URLField(help_text="ReDoc.")
    authentication = AuthenticationInfoSerializer()
    pagination = serializers.CharField(help_text="How lists are paged.")
