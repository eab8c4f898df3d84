from django.core.management.base import BaseCommand, CommandError

from choicemap.imports import ImportFailed
from demo.services import load_demo


class Command(BaseCommand):
    help = "Load the Dorset demo (localities, menu, providers, sites, offers) and demo logins. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for the demo users (default: settings.DEMO_PASSWORD)")

    def handle(self, *args, **options):
        try:
            report = load_demo(password=options["password"])
        except ImportFailed as failure:
            problems = "\n".join(f"  {p}" for p in failure.problems)
            raise CommandError(f"The demo data did not import:\n{problems}") from failure
        for noun, imported in report.imports:
            self.stdout.write(f"{noun}: {imported.summary(noun)}")
        self.stdout.write(f"care plans: {report.service_users_added} synthetic service users added (DEMO-0001…).")
        if report.publication is not None:
            self.stdout.write(f"unmet preference: publication {report.publication} built for commissioners.")
        self.stdout.write(self.style.SUCCESS("Demo logins (username / password / role):"))
        for username, password, role in report.logins:
            self.stdout.write(f"  {username} / {password} / {role}")
