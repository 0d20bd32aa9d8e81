from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Content announces what changed; the recommender decides what to rebuild. Content never imports us.
        from content import events
        from recommendations import receivers

        events.feedback_changed.connect(receivers.rebuild_interests_of_people, dispatch_uid="rec-feedback")
        events.bio_embedded.connect(receivers.rebuild_interests_of_person, dispatch_uid="rec-bio")
        events.items_embedded.connect(receivers.rebuild_interests_of_people_who_reacted, dispatch_uid="rec-items")
