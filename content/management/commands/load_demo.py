from django.core.management.base import BaseCommand

from content import demo


class Command(BaseCommand):
    help = "Load the demo catalog, people and histories (safe to run again), and create the demo admin."

    def add_arguments(self, parser):
        parser.add_argument("--admin-username", default="admin")
        parser.add_argument("--admin-password", default="admin-demo-password")

    def handle(self, *args, admin_username, admin_password, **options):
        result = demo.demo_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content: {result['items']} items ({result['rejected']} rejected rows), {result['users']} people "
                f"(password '{demo.DEMO_PASSWORD}')"
            )
        )
        self.stdout.write(self.style.SUCCESS(demo.admin_ensure(username=admin_username, password=admin_password)))
