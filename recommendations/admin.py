from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from recommendations.models import CoEngagement, InterestProfile, ItemStats, RankerWeights
from recommendations.selectors import feed_for_user, interest_summary

PREVIEW_FEED = "recommendations.preview_feed"


@admin.register(InterestProfile)
class InterestProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "positive_count", "negative_count", "computed_at", "preview_link"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "domain_scores", "positive_count", "negative_count", "computed_at"]
    # Machine state, rebuilt with the interests: large, and nothing staff should edit.
    exclude = ["negative", "positive_items", "neighbour_sums"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("negative", "positive_items", "neighbour_sums")

    def get_list_display(self, request):
        if request.user.has_perm(PREVIEW_FEED):
            return self.list_display
        return [name for name in self.list_display if name != "preview_link"]

    @admin.display(description="Feed")
    def preview_link(self, obj):
        return format_html(
            '<a href="{}">Preview feed</a>', reverse("admin:recommendations_feed_preview", args=[obj.user_id])
        )

    def get_urls(self):
        preview = path(
            "preview/<int:user_id>/",
            self.admin_site.admin_view(self.feed_preview),
            name="recommendations_feed_preview",
        )
        return [preview, *super().get_urls()]

    def feed_preview(self, request, user_id: int):
        """What this user would see now, with each entry's reason and signal contributions."""
        if not request.user.has_perm(PREVIEW_FEED):
            raise PermissionDenied
        user = get_object_or_404(get_user_model(), pk=user_id)
        feed = feed_for_user(user=user, limit=30)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Feed preview for {user}",
            "subject": user,
            "feed": feed,
            "summary": interest_summary(user=user),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/recommendations/feed_preview.html", context)


@admin.register(RankerWeights)
class RankerWeightsAdmin(admin.ModelAdmin):
    """Each version is an adopted refit; the newest active one serves, so switching it off falls back a version."""

    list_display = ["version", "is_active", "created_at", "adopted_for", "served"]
    readonly_fields = ["version", "situations", "weights", "metrics", "trained_on", "created_at"]

    @admin.display(description="Served per situation")
    def served(self, obj):
        return "; ".join(
            f"{name}: {entry.get('served', 'current weights')}" for name, entry in _situations(obj.metrics).items()
        )

    @admin.display(description="Per situation: what is served and the check that chose it")
    def situations(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    name,
                    entry.get("served", "current weights"),
                    entry.get("users", 0),
                    f"{entry['best_expert']} {entry['experts'][entry['best_expert']]:.4f}"
                    if "best_expert" in entry
                    else "",
                    entry.get("check_blend", ""),
                    entry.get("trust", ""),
                    " to ".join(str(bound) for bound in entry.get("blend_vs_expert", [])),
                    "; ".join([entry.get("reason", ""), *entry.get("notes", [])]),
                )
                for name, entry in _situations(obj.metrics).items()
            ),
        )
        head = format_html(
            "<tr><th>situation</th><th>served</th><th>held-out people</th><th>best expert (NDCG@10)</th>"
            "<th>fitted blend</th><th>trust in blend</th><th>blend - expert, 95%</th><th>why</th></tr>"
        )
        return format_html("<table>{}{}</table>", head, rows)

    @admin.display(description="Adopted for")
    def adopted_for(self, obj):
        return ", ".join(
            situation
            for situation, check in obj.metrics.items()
            if not situation.startswith("_") and check.get("adopted")
        )


def _situations(metrics: dict | None) -> dict:
    return {name: entry for name, entry in (metrics or {}).items() if not name.startswith("_")}


@admin.register(ItemStats)
class ItemStatsAdmin(admin.ModelAdmin):
    list_display = ["item", "engagement", "popularity", "trending", "updated_at"]
    ordering = ["-popularity"]
    list_select_related = ["item"]
    raw_id_fields = ["item"]


@admin.register(CoEngagement)
class CoEngagementAdmin(admin.ModelAdmin):
    list_display = ["item", "neighbor", "score"]
    raw_id_fields = ["item", "neighbor"]
    list_select_related = ["item", "neighbor"]
