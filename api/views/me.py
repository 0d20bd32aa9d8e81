"""The signed-in user's own profile, interests and domain preferences; there is no way to name another user."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import errors
from api.serializers.me import (
    DomainPreferencesInputSerializer,
    DomainPreferencesSerializer,
    InterestSummarySerializer,
    ProfileInputSerializer,
    ProfileSerializer,
)
from api.throttles import BioChangeThrottle
from content import services
from recommendations import selectors as rec_selectors


class ProfileApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_throttles(self):
        return [*super().get_throttles(), BioChangeThrottle()]

    @extend_schema(tags=["me"], summary="Your profile", responses={200: ProfileSerializer, **errors(401)})
    def get(self, request):
        return Response(ProfileSerializer(services.profile_get_or_create(user=request.user)).data)

    @extend_schema(
        tags=["me"],
        summary="Change your display name, bio or explore setting",
        description=(
            "A changed bio is embedded in the background and reshapes your feed. Requests that send a bio are "
            "limited per user (`RATE_LIMIT_BIO`, 20 an hour by default), together with bio changes on the site."
        ),
        request=ProfileInputSerializer,
        responses={200: ProfileSerializer, **errors(400, 401, 403, 413, 415)},
    )
    def patch(self, request):
        serializer = ProfileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.profile_update(user=request.user, **serializer.validated_data)
        return Response(ProfileSerializer(profile).data)


class InterestsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["me"],
        summary="What the recommender believes you like: per-domain scores and interests",
        responses={200: InterestSummarySerializer, **errors(401)},
    )
    def get(self, request):
        return Response(InterestSummarySerializer(rec_selectors.interest_summary(user=request.user)).data)


class DomainPreferencesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["me"], summary="Your preferred domains", responses={200: DomainPreferencesSerializer, **errors(401)}
    )
    def get(self, request):
        return Response(_domain_preferences(services.profile_get_or_create(user=request.user)))

    @extend_schema(
        tags=["me"],
        summary="Replace your preferred domains",
        description="At most `API_MAX_DOMAINS` (50) slugs.",
        request=DomainPreferencesInputSerializer,
        responses={200: DomainPreferencesSerializer, **errors(400, 401, 403, 413, 415)},
    )
    def put(self, request):
        serializer = DomainPreferencesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.profile_update(user=request.user, preferred_domains=serializer.validated_data["domains"])
        return Response(_domain_preferences(profile))


def _domain_preferences(profile) -> dict:
    return DomainPreferencesSerializer({"domains": profile.preferred_domains.values_list("slug", flat=True)}).data
