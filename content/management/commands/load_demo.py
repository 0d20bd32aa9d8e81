from django.core.management.base import BaseCommand, CommandError

from content import demo


class Command(BaseCommand):
    help = (
        "Load the demo catalog, people and histories (safe to run again); the first run creates the admin with a "
        "generated password, shown once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--admin-username", default="admin")

    def handle(self, *args, admin_username, **options):
        result = demo.demo_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content: {result['items']} items ({result['rejected']} rejected rows), {result['users']} people "
                f"(password '{demo.DEMO_PASSWORD}')"
            )
        )
        try:
            password = demo.admin_ensure(username=admin_username)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if password is None:
            self.stdout.write(
                f"Admin login: {admin_username} (exists; set a new password with "
                f"`manage.py changepassword {admin_username}`)"
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Admin login: {admin_username} / {password} (shown once)"))
