from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.errors import not_found
from api.views import auth, catalog, feed, index, interactions, me
from platform_site.csp import csp_for_third_party_docs

urlpatterns = [
    path("", index.ApiIndexApi.as_view(), name="api_index"),
    path("auth/token/", auth.AuthTokenApi.as_view(), name="api_auth_token"),
    path("auth/token/revoke/", auth.AuthTokenRevokeApi.as_view(), name="api_auth_token_revoke"),
    path("domains/", catalog.DomainListApi.as_view(), name="api_domains"),
    path("items/", catalog.ItemListApi.as_view(), name="api_items"),
    path("items/bulk-upsert/", catalog.ItemBulkUpsertApi.as_view(), name="api_items_bulk_upsert"),
    path("items/<int:pk>/", catalog.ItemDetailApi.as_view(), name="api_item"),
    path("items/<int:pk>/similar/", catalog.ItemSimilarApi.as_view(), name="api_item_similar"),
    path("feed/", feed.FeedApi.as_view(), name="api_feed"),
    path("popular/", feed.PopularApi.as_view(), name="api_popular"),
    path("interactions/", interactions.InteractionListApi.as_view(), name="api_interactions"),
    path("interactions/batch/", interactions.InteractionBatchApi.as_view(), name="api_interactions_batch"),
    path("interactions/<int:pk>/", interactions.InteractionDetailApi.as_view(), name="api_interaction"),
    path("me/profile/", me.ProfileApi.as_view(), name="api_me_profile"),
    path("me/interests/", me.InterestsApi.as_view(), name="api_me_interests"),
    path("me/domains/", me.DomainPreferencesApi.as_view(), name="api_me_domains"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", csp_for_third_party_docs(SpectacularSwaggerView.as_view(url_name="api_schema")), name="api_docs"),
    path("redoc/", csp_for_third_party_docs(SpectacularRedocView.as_view(url_name="api_schema")), name="api_redoc"),
    # Anything else, newlines included ('.' would stop at one and hand the address to the website's 404 page).
    re_path(r"^[\s\S]*$", not_found),
]
