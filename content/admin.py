from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from content import domain_indexes, services, tasks
from content.enqueue import send
from content.forms import ItemForm
from content.models import Domain, Interaction, Item, Profile

PREVIEW_FEED = "recommendations.preview_feed"
READONLY_FIELDS = [
    "embedding_model",
    "embedding_hash",
    "embedded_at",
    "embedding_queued_at",
    "embedding_attempts",
    "embedding_error",
    "created_at",
    "updated_at",
]


class EmbeddingStatusFilter(admin.SimpleListFilter):
    title = "embedding"
    parameter_name = "embedding"

    def lookups(self, request, model_admin):
        return [
            ("missing", "Missing"),
            ("failed", "Failed"),
            ("gave_up", "Gave up (re-embed to retry)"),
            ("ok", "Embedded"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "missing":
            return queryset.filter(embedded_at__isnull=True)
        if value == "failed":
            return queryset.exclude(embedding_error="")
        if value == "gave_up":
            return queryset.filter(embedding_attempts__gte=settings.EMBEDDING_MAX_ATTEMPTS)
        if value == "ok":
            return queryset.filter(embedded_at__isnull=False)
        return queryset


class EmbeddingStatusMixin:
    @admin.display(description="Embedding", ordering="embedded_at")
    def embedding_status(self, obj):
        if obj.embedding_attempts >= settings.EMBEDDING_MAX_ATTEMPTS:
            label = f"gave up ({obj.embedding_attempts})"
            return format_html('<span title="{}" class="status-bad">{}</span>', obj.embedding_error[:300], label)
        if obj.embedding_error and obj.embedded_at is None:
            return format_html('<span title="{}" class="status-bad">failed</span>', obj.embedding_error[:300])
        if obj.embedded_at is None:
            return format_html('<span class="status-wait">{}</span>', "pending")
        return format_html('<span title="{}" class="status-ok">ok</span>', obj.embedding_model)

    @admin.action(description="Re-embed selected rows")
    def reembed(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            self.enqueue_embedding(ids)
        messages.success(request, f"Queued {len(ids)} for embedding.")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description", "vector_index"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["build_vector_indexes"]

    def get_queryset(self, request):
        # One query for the whole list, not one per domain.
        return super().get_queryset(request).annotate(index_valid=domain_indexes.validity('"content_domain"."id"'))

    @admin.display(description="Vector index")
    def vector_index(self, obj):
        """Its own HNSW index (content.domain_indexes): its tab and other domains' feeds search it once built."""
        valid = obj.index_valid
        if valid:
            return format_html('<span class="status-ok">{}</span>', "ready")
        if valid is None:
            return format_html('<span class="status-wait">{}</span>', "not built yet")
        return format_html('<span class="status-bad">{}</span>', "interrupted build (rebuilt on the next check)")

    @admin.action(description="Build missing vector indexes now")
    def build_vector_indexes(self, request, queryset):
        sent = []
        send(tasks.ensure_domain_indexes, on_sent=lambda: sent.append(True))
        if sent:
            messages.success(request, "Queued: the worker builds the missing indexes (minutes for a large domain).")
        else:
            messages.warning(request, "The task queue is unreachable; the periodic check will build them.")


@admin.register(Item)
class ItemAdmin(EmbeddingStatusMixin, admin.ModelAdmin):
    form = ItemForm
    # The embedding status comes right after the title, so it stays on screen at 1280 px however long titles are.
    list_display = ["title", "embedding_status", "domain", "creator", "published", "is_active"]
    list_filter = ["domain", "is_active", EmbeddingStatusFilter, "language"]
    search_fields = ["title", "description", "creator", "external_id"]
    readonly_fields = READONLY_FIELDS
    date_hierarchy = "published_at"
    actions = ["reembed", "deactivate"]
    list_select_related = ["domain"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("embedding")

    @admin.display(description="Published", ordering="published_at")
    def published(self, obj):
        # The day is enough in a list; the time of day only widened the table.
        return obj.published_at.date() if obj.published_at else None

    def save_model(self, request, obj, form, change):
        services.item_save(item=obj)

    def enqueue_embedding(self, ids):
        # Clearing the hash forces a fresh vector even if the text did not change; a row that gave up tries again.
        Item.objects.filter(pk__in=ids).update(embedding_hash="", embedding_attempts=0)
        services.items_embed_later(item_ids=ids)

    @admin.action(description="Deactivate selected items")
    def deactivate(self, request, queryset):
        """Asks first, like Django's delete: a deactivated item leaves every feed at once."""
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Are you sure?",
                "opts": self.model._meta,
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/content/item/deactivate_confirmation.html", context)
        for item in queryset:
            services.item_deactivate(item=item)
        messages.success(request, f"Deactivated {len(queryset)} item(s).")
        return None


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

    def get_list_display(self, request):
        if request.user.has_perm(PREVIEW_FEED):
            return self.list_display
        return [name for name in self.list_display if name != "feed_preview"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "bio" in form.changed_data:
            services.profile_embed_later(profile=obj)

    @admin.display(description="Feed")
    def feed_preview(self, obj):
        url = reverse("admin:recommendations_feed_preview", args=[obj.user_id])
        return format_html('<a href="{}">Preview feed</a>', url)

    def enqueue_embedding(self, ids):
        Profile.objects.filter(pk__in=ids).update(embedding_hash="", embedding_attempts=0)
        for profile in Profile.objects.filter(pk__in=ids):
            services.profile_embed_later(profile=profile)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "value", "item", "created_at"]
    list_filter = ["kind", "item__domain"]
    search_fields = ["user__username", "item__title"]
    raw_id_fields = ["user", "item"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "item"]

    # Staff edits are feedback changes like any other: the person's interests are rebuilt.
    def save_model(self, request, obj, form, change):
        previous = Interaction.objects.filter(pk=obj.pk).values_list("user_id", flat=True).first()
        super().save_model(request, obj, form, change)
        services.feedback_touched(user_ids={obj.user_id, previous} - {None})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.feedback_touched(user_ids=[obj.user_id])

    def delete_queryset(self, request, queryset):
        user_ids = set(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        services.feedback_touched(user_ids=user_ids)
