import zlib

from circles.models import Office

from .generate import generate_deals
from .models import Deal

DEALS_PER_OFFICE = 60
DEALS_PER_SUB_OFFICE = 20


def build_demo_deals() -> dict[str, int]:
    for office in Office.objects.filter(active=True).order_by("pk"):
        target = DEALS_PER_SUB_OFFICE if office.parent_id else DEALS_PER_OFFICE
        missing = target - Deal.objects.filter(office=office).count()
        if missing > 0:
            generate_deals(office=office, count=missing,
                           seed=zlib.crc32(f"deals {office.name}".encode()))
    return {"deals": Deal.objects.count()}


# (title, days from today, time, linked to, repeats, reminder minutes before)
DEMO_TASKS = [
    ("Call back about the offer", -2, "10:00", "deal", "", None),
    ("Prepare the discovery workshop", 0, "09:30", "deal", "", 30),
    ("Send the newsletter to new contacts", 0, None, "", "", None),
    ("Follow-up call", 2, "14:00", "person", "", 60),
    ("Write the post-training appreciation email", 4, None, "deal", "", None),
    ("Monthly pipeline review", 6, "16:00", "", "FREQ=MONTHLY", 24 * 60),
]


def build_demo_tasks() -> dict[str, int]:
    """A few tasks per consultant (overdue, today, this week, one repeating), linked to
    their deals and contacts, with reminders; idempotent (people who have tasks are left
    alone)."""
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    from circles.models import User

    from .agenda.models import Task
    from .agenda.services import local_today, task_create

    created = 0
    consultants = User.objects.filter(is_consultant=True, is_active=True,
                                      office__isnull=False).select_related("office")
    for user in consultants:
        if Task.objects.filter(assignee=user).exists():
            continue
        deals = list(Deal.objects.filter(owner=user, status=Deal.Status.OPEN)
                     .select_related("person")[:5])
        today = local_today(user)
        for n, (title, days, at, link, repeats, remind) in enumerate(DEMO_TASKS):
            deal = deals[n % len(deals)] if deals else None
            data = {"title": title, "due_date": today + dt.timedelta(days=max(days, 0)),
                    "due_time": dt.time.fromisoformat(at) if at else None,
                    "recurrence": repeats,
                    "deal": deal if link == "deal" else None,
                    "person": deal.person if link == "person" and deal else None}
            # Due in the assignee's own time zone, as Task.due_at() reads it.
            due = dt.datetime.combine(data["due_date"], data["due_time"] or dt.time(23, 59),
                                      tzinfo=zoneinfo.ZoneInfo(user.effective_time_zone))
            notice = remind if remind is not None and due - dt.timedelta(minutes=remind) \
                > timezone.now() else None
            task = task_create(data=data, by=user, remind_before=notice)
            if days < 0:  # an overdue one, as history has it
                Task.objects.filter(pk=task.pk).update(due_date=today + dt.timedelta(days))
            created += 1
    return {"tasks": Task.objects.count(), "tasks_added": created}


# What one unit was worth in euros at the start of the year (the admin keeps them current).
DEMO_RATES = {"GBP": "1.17", "CHF": "1.06", "CAD": "0.66", "USD": "0.92"}


def build_demo_rates() -> dict[str, int]:
    import datetime as dt
    from decimal import Decimal

    from .reports.models import ExchangeRate

    for currency, rate in DEMO_RATES.items():
        ExchangeRate.objects.get_or_create(currency=currency, valid_from=dt.date(2026, 1, 1),
                                           defaults={"in_euros": Decimal(rate)})
    return {"rates": ExchangeRate.objects.count()}
