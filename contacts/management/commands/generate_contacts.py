from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from circles.models import Office
from contacts.generate import generate_people
from contacts.models import Person


class Command(BaseCommand):
    help = ("Fill the offices with generated contacts until the database holds --total "
            "people (for the speed benchmark).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--total", type=int, default=200_000)

    def handle(self, *args, total: int, **options) -> None:
        offices = list(Office.objects.filter(active=True).annotate(n=Count("persons"))
                       .order_by("pk"))
        if not offices:
            raise CommandError("No office yet: run `manage.py demo` first.")
        missing = total - Person.objects.count()
        if missing <= 0:
            self.stdout.write(f"Already {Person.objects.count()} contacts.")
            return
        share, rest = divmod(missing, len(offices))
        for n, office in enumerate(offices):
            count = share + (1 if n < rest else 0)
            done = 0
            while done < count:
                step = min(20_000, count - done)
                generate_people(office=office, count=step, seed=office.pk * 1000 + office.n
                                + done)
                done += step
            self.stdout.write(f"{office}: +{count}")
        self.stdout.write(self.style.SUCCESS(f"{Person.objects.count()} contacts in all."))
