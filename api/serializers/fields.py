"""Fields shared by the serializers of several areas."""

from rest_framework import serializers


class StrictFloatField(serializers.FloatField):
    """A number, as the schema promises: DRF's FloatField would take `true` and `false` as 1 and 0."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


def query_data(request) -> dict:
    """The query string as serializer input. As a QueryDict, DRF would read `?page_size=` as "not given"; as a plain
    dict an empty value is checked like any other, as the schema describes it."""
    return request.query_params.dict()


class StrictCharField(serializers.CharField):
    """Text, as the schema promises: DRF's CharField would take a number and store its digits."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
