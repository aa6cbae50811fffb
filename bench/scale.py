"""The large network of the load benchmark: 50 offices, 500,000 contacts, 1,000,000 deals
with their phase histories, 100,000 tasks and 5,000 decisions at --scale 1 (the counts,
not the offices, shrink with a smaller scale, for a quick run).

Built on the demo network (its 11 offices, people and circles) with the generators the
other benchmarks use, in batches; idempotent: run again, it only adds what is missing.
Writes var/bench/users.json: the logins the load tool uses, by kind of user.
"""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from circles.decisions.models import Decision
from circles.demo_data import DEMO_PASSWORD
from circles.models import Circle, Office, User
from contacts.generate import generate_people
from contacts.models import Person
from pipeline.agenda.models import Task
from pipeline.generate import generate_deals
from pipeline.models import Deal

OFFICES = 50
CONTACTS = 500_000
DEALS = 1_000_000
TASKS = 100_000
DECISIONS = 5_000
OUT = Path(__file__).resolve().parents[1] / "var" / "bench"


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@transaction.atomic
def _offices() -> list[Office]:
    """The demo's offices, and sub-offices of its national offices up to OFFICES, each
    with an office lead, a secretary and three consultants."""
    national = list(Office.objects.filter(parent__isnull=True).order_by("pk"))
    password = make_password(DEMO_PASSWORD)  # hashed once: the same for every bench login
    n = Office.objects.count()
    while n < OFFICES:
        parent = national[n % len(national)]
        office = Office.objects.create(
            name=f"{parent.name} – bench {n}", parent=parent, country=parent.country,
            city=parent.city, languages=parent.languages, currency=parent.currency,
            time_zone=parent.time_zone)
        roles = [("lead", {"is_office_lead": True, "is_consultant": True}),
                 ("secretary", {"is_secretary": True})]
        roles += [(f"consultant{i}", {"is_consultant": True}) for i in (1, 2, 3)]
        User.objects.bulk_create([
            User(email=f"bench{n}.{name}@tsg.example", first_name=name.capitalize(),
                 last_name=f"Bench {n}", office=office, password=password,
                 language=parent.languages.split(",")[0].strip() or "en", **flags)
            for name, flags in roles])
        n += 1
    return list(Office.objects.order_by("pk"))


def _tasks(offices: list[Office], total: int) -> None:
    missing = total - Task.objects.count()
    if missing <= 0:
        return
    rng = random.Random(7)
    today = timezone.localdate()
    owners = {o.pk: list(User.objects.filter(office=o, is_consultant=True)) for o in offices}
    offices = [o for o in offices if owners[o.pk]]
    titles = ["Call back", "Send the offer", "Prepare the workshop", "Invoice",
              "Book the room", "Follow up the proposal"]
    batch = []
    for _ in range(missing):
        office = rng.choice(offices)
        person = rng.choice(owners[office.pk])
        done = rng.random() < 0.6
        batch.append(Task(
            title=rng.choice(titles), office=office, assignee=person, created_by=person,
            due_date=today + timedelta(days=rng.randint(-200, 60)),
            status=Task.Status.DONE if done else Task.Status.OPEN,
            done_at=timezone.now() - timedelta(days=rng.randint(0, 200)) if done else None))
        if len(batch) == 5000:
            Task.objects.bulk_create(batch)
            batch = []
    Task.objects.bulk_create(batch)


def _decisions(total: int) -> None:
    missing = total - Decision.objects.count()
    if missing <= 0:
        return
    rng = random.Random(11)
    today = timezone.localdate()
    circles = list(Circle.objects.all())
    recorder = User.objects.filter(is_secretary=True).first()
    Decision.objects.bulk_create([
        Decision(circle=rng.choice(circles), title=f"Policy {i}",
                 text="We consent to try this for six months, then evaluate.",
                 evaluation_criteria="Fewer open questions at the next review.",
                 decided_on=today - timedelta(days=rng.randint(0, 900)),
                 review_date=today + timedelta(days=rng.randint(-60, 300)),
                 recorded_by=recorder)
        for i in range(missing)], batch_size=2000)


def build(scale: float = 1.0) -> dict[str, int]:
    call_command("migrate", verbosity=0)
    call_command("demo", "--quiet-logins", "--no-contacts", verbosity=0)
    offices = _offices()
    _say(f"{len(offices)} offices")
    working = [o for o in offices if User.objects.filter(office=o, is_consultant=True).exists()]
    per_office = {"people": int(CONTACTS * scale) // len(working),
                  "deals": int(DEALS * scale) // len(working)}
    for i, office in enumerate(working):
        people = per_office["people"] - Person.objects.filter(office=office).count()
        if people > 0:
            generate_people(office=office, count=people, seed=office.pk)
        deals = per_office["deals"] - Deal.objects.filter(office=office).count()
        while deals > 0:
            step = min(20_000, deals)
            generate_deals(office=office, count=step, seed=office.pk * 1000 + deals)
            deals -= step
        _say(f"office {i + 1}/{len(working)} ready: {office}")
    _tasks(working, int(TASKS * scale))
    _decisions(int(DECISIONS * scale))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    figures = {"offices": Office.objects.count(), "contacts": Person.objects.count(),
               "deals": Deal.objects.count(), "tasks": Task.objects.count(),
               "decisions": Decision.objects.count()}
    _write_users()
    return figures


def _write_users() -> None:
    """Logins by kind; consultants and leads of the generated offices and of the demo's."""
    kinds = {
        "consultant": User.objects.filter(is_consultant=True, is_office_lead=False,
                                          is_active=True),
        "secretary": User.objects.filter(is_secretary=True, is_active=True),
        "lead": User.objects.filter(is_office_lead=True, is_active=True),
        "admin": User.objects.filter(is_network_admin=True, is_active=True),
    }
    users = {kind: list(qs.exclude(password="").values_list("email", flat=True))
             for kind, qs in kinds.items()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "users.json").write_text(json.dumps({"password": DEMO_PASSWORD, "users": users},
                                               indent=1))
