from django.apps import apps
from django.core.management.base import BaseCommand

from certification.demo import build_demo_certification
from circles.decisions.demo import build_demo_logbook
from circles.demo import build_demo_network
from circles.demo_data import DEMO_LOGINS, DEMO_PASSWORD
from contacts.demo import build_demo_contacts
from newsletters.demo import build_demo_newsletters
from pipeline.demo import build_demo_deals, build_demo_rates, build_demo_tasks
from pipeline.seed import load as load_phases


class Command(BaseCommand):
    help = "Build (or bring up to date) the realistic demo network. Safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD,
                            help="Password given to demo people created by this run.")
        parser.add_argument("--quiet-logins", action="store_true",
                            help="Do not print the demo logins.")
        parser.add_argument("--no-contacts", action="store_true",
                            help="Only the offices, people and circles (faster, for tests).")

    def handle(self, *args, password: str, quiet_logins: bool, no_contacts: bool,
               **options) -> None:
        counts = build_demo_network(password)
        counts.update(build_demo_logbook())
        counts.update(build_demo_rates())
        load_phases(apps)
        if not no_contacts:
            counts.update(build_demo_contacts())
            counts.update(build_demo_deals())
            counts.update(build_demo_tasks())
            counts.update(build_demo_certification())
            counts.update(build_demo_newsletters())
        self.stdout.write(self.style.SUCCESS(
            f"Demo network ready: {counts['offices']} offices, {counts['people']} people "
            f"({counts['new_people']} new), {counts['circles']} circles, "
            f"{counts['decisions']} decisions"
            + (f", {counts['contacts']} contacts, {counts['deals']} deals, "
               f"{counts['tasks']} tasks, {counts['enrolments']} on certification paths "
               f"({counts['certificates']} certificates), {counts['newsletters']} newsletters."
               if not no_contacts else ".")
        ))
        if not quiet_logins:
            self.stdout.write(f"Demo logins (password: {password}):")
            for role, email in DEMO_LOGINS:
                self.stdout.write(f"  {role:<17} {email}")
