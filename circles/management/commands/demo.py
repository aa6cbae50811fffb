from django.core.management.base import BaseCommand
from django.db import transaction

from circles.demo_data import DEMO_LOGINS, DEMO_PASSWORD, OFFICES, PEOPLE
from circles.models import Office, User


class Command(BaseCommand):
    help = "Build (or bring up to date) the realistic demo network. Safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD,
                            help="Password given to demo people created by this run.")
        parser.add_argument("--quiet-logins", action="store_true",
                            help="Do not print the demo logins.")

    @transaction.atomic
    def handle(self, *args, password: str, quiet_logins: bool, **options) -> None:
        offices: dict[str, Office] = {}
        for key, name, parent, country, city, languages, currency, tz in OFFICES:
            offices[key], _ = Office.objects.update_or_create(
                name=name,
                defaults={"parent": offices.get(parent) if parent else None, "country": country,
                          "city": city, "languages": languages, "currency": currency,
                          "time_zone": tz, "active": True},
            )
        created = 0
        for email, first, last, office, language, roles in PEOPLE:
            user, was_created = User.objects.update_or_create(
                email=email,
                defaults={"first_name": first, "last_name": last, "office": offices[office],
                          "language": language, "is_consultant": "c" in roles,
                          "is_secretary": "s" in roles, "is_office_lead": "l" in roles,
                          "is_network_admin": "a" in roles, "is_active": True},
            )
            if was_created:
                user.set_password(password)
                user.save(update_fields=["password"])
                created += 1
        self.stdout.write(self.style.SUCCESS(
            f"Demo network ready: {len(offices)} offices, {len(PEOPLE)} people "
            f"({created} new)."
        ))
        if not quiet_logins:
            self.stdout.write(f"Demo logins (password: {password}):")
            for role, email in DEMO_LOGINS:
                self.stdout.write(f"  {role:<17} {email}")
