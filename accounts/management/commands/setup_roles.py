from django.core.management.base import BaseCommand

from accounts.services import ensure_role_groups


class Command(BaseCommand):
    help = "Create or refresh the admin, commissioner and keyworker groups and their permissions."

    def handle(self, *args, **options):
        groups = ensure_role_groups()
        for name, group in groups.items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
