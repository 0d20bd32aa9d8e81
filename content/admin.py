from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from content import services, tasks
from content.enqueue import enqueue_on_commit
from content.forms import ItemForm
from content.models import Domain, Interaction, Item, Profile
from content.vectors import batched

READONLY_FIELDS = ["embedding_model", "embedding_hash", "embedded_at", "embedding_error", "created_at", "updated_at"]


class EmbeddingStatusFilter(admin.SimpleListFilter):
    title = "embedding"
    parameter_name = "embedding"

    def lookups(self, request, model_admin):
        return [("missing", "Missing"), ("failed", "Failed"), ("ok", "Embedded")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "missing":
            return queryset.filter(embedded_at__isnull=True)
        if value == "failed":
            return queryset.exclude(embedding_error="")
        if value == "ok":
            return queryset.filter(embedded_at__isnull=False)
        return queryset


class EmbeddingStatusMixin:
    @admin.display(description="Embedding", ordering="embedded_at")
    def embedding_status(self, obj):
        if obj.embedding_error and obj.embedded_at is None:
            return format_html('<span title="{}" style="color:#b00020">failed</span>', obj.embedding_error[:300])
        if obj.embedded_at is None:
            return format_html('<span style="color:#8a5a00">{}</span>', "pending")
        return format_html('<span title="{}" style="color:#1b5e20">ok</span>', obj.embedding_model)

    @admin.action(description="Re-embed selected rows")
    def reembed(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            self.enqueue_embedding(ids)
        messages.success(request, f"Queued {len(ids)} for embedding.")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Item)
class ItemAdmin(EmbeddingStatusMixin, admin.ModelAdmin):
    form = ItemForm
    list_display = ["title", "domain", "creator", "published_at", "is_active", "embedding_status"]
    list_filter = ["domain", "is_active", EmbeddingStatusFilter, "language"]
    search_fields = ["title", "description", "creator", "external_id"]
    readonly_fields = READONLY_FIELDS
    date_hierarchy = "published_at"
    actions = ["reembed", "deactivate"]
    list_select_related = ["domain"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("embedding")

    def save_model(self, request, obj, form, change):
        services.item_save(item=obj)

    def enqueue_embedding(self, ids):
        # Clearing the hash forces a fresh vector even if the text did not change.
        Item.objects.filter(pk__in=ids).update(embedding_hash="")
        for batch in batched(ids):
            enqueue_on_commit(tasks.embed_items, batch)

    @admin.action(description="Deactivate selected items")
    def deactivate(self, request, queryset):
        for item in queryset:
            services.item_deactivate(item=item)


@admin.register(Profile)
class ProfileAdmin(EmbeddingStatusMixin, admin.ModelAdmin):
    list_display = ["__str__", "user", "explore", "embedding_status", "updated_at", "feed_preview"]
    list_filter = [EmbeddingStatusFilter, "preferred_domains"]
    search_fields = ["user__username", "display_name", "bio"]
    readonly_fields = READONLY_FIELDS
    raw_id_fields = ["user"]
    actions = ["reembed"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("embedding").select_related("user")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "bio" in form.changed_data:
            enqueue_on_commit(tasks.embed_profile, obj.pk)

    @admin.display(description="Feed")
    def feed_preview(self, obj):
        url = reverse("admin:recommendations_feed_preview", args=[obj.user_id])
        return format_html('<a href="{}">Preview feed</a>', url)

    def enqueue_embedding(self, ids):
        Profile.objects.filter(pk__in=ids).update(embedding_hash="")
        for profile_id in ids:
            enqueue_on_commit(tasks.embed_profile, profile_id)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "value", "item", "created_at"]
    list_filter = ["kind", "item__domain"]
    search_fields = ["user__username", "item__title"]
    raw_id_fields = ["user", "item"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "item"]
