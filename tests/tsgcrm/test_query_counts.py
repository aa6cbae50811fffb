"""Every page takes the same number of queries whatever the amount of data: each page of
each kind of person is counted on the demo network, then again once its office holds many
more contacts, deals (with their histories, interactions and objections), tasks,
reminders, notifications, decisions and meetings. A page whose count grows with the data
has a query per row somewhere (an N+1), and would not hold at the network's size."""

import datetime as dt
from collections import defaultdict

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db


def pages() -> list[tuple[str, str]]:
    """(email, url) of every page a person opens, with the objects of the UK office."""
    from certification.models import Enrolment
    from circles.decisions.models import Decision, Meeting
    from circles.models import Circle, Office
    from contacts.models import Organisation, Person, Persona
    from newsletters.models import Newsletter
    from pipeline.models import Deal

    uk = Office.objects.get(name="TSG United Kingdom")
    consultant, secretary = "oliver.brown@tsg.example", "emma.taylor@tsg.example"
    lead, admin = "james.wright@tsg.example", "admin@tsg.example"
    deal = Deal.objects.filter(office=uk).order_by("pk").first()
    person = Person.objects.filter(office=uk).order_by("pk").first()
    organisation = Organisation.objects.filter(office=uk).order_by("pk").first()
    circle = Circle.objects.filter(office=uk).order_by("pk").first()
    meeting = Meeting.objects.filter(circle__office=uk).order_by("pk").first()
    decision = Decision.objects.filter(circle__office=uk).order_by("pk").first()
    persona = Persona.objects.filter(office=uk).order_by("pk").first()
    newsletter = Newsletter.objects.filter(office=uk).order_by("pk").first()
    enrolment = Enrolment.objects.filter(office=uk).order_by("pk").first()
    urls = [
        (consultant, "/"), (consultant, "/pipeline/"), (consultant, "/pipeline/column/2/"),
        (consultant, "/deals/"), (consultant, "/deals/?sort=-value"),
        (consultant, f"/deals/{deal.pk}/"), (consultant, f"/deals/{deal.pk}/edit/"),
        (consultant, "/contacts/"), (consultant, "/contacts/?q=an"),
        (consultant, f"/contacts/{person.pk}/"), (consultant, "/organisations/"),
        (consultant, "/tasks/"), (consultant, "/calendar/"), (consultant, "/notifications/"),
        (consultant, "/notifications/bell/"), (consultant, "/personas/"),
        (consultant, "/certification/"),
        (secretary, "/"), (secretary, "/circles/"), (secretary, "/circles/health/"),
        (secretary, f"/circles/{circle.pk}/"), (secretary, f"/circles/{circle.pk}/meetings/"),
        (secretary, "/decisions/"), (secretary, f"/decisions/{decision.pk}/"),
        (lead, "/"), (lead, "/reports/"), (lead, "/deals/?overdue=on"), (lead, "/offices/"),
        (lead, f"/offices/{uk.pk}/"), (lead, "/newsletters/"),
        (admin, "/"), (admin, "/reports/network/"), (admin, "/certification/candidates/"),
        (admin, "/certification/registry/"),
    ]
    if organisation:
        urls.append((consultant, f"/organisations/{organisation.pk}/"))
    if meeting:
        urls.append((secretary, f"/meetings/{meeting.pk}/"))
    if persona:
        urls.append((consultant, f"/personas/{persona.pk}/"))
    if newsletter:
        urls.append((lead, f"/newsletters/{newsletter.pk}/"))
    if enrolment:
        urls.append((admin, f"/certification/enrolments/{enrolment.pk}/"))
    return urls


def count_queries(client, urls) -> dict[str, int]:
    from circles.models import User

    counts = {}
    for email, url in urls:
        client.force_login(User.objects.get(email=email))
        assert client.get(url).status_code == 200, url  # warm: the session and its cache
        cache.clear()  # every figure computed again, as after a change
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[f"{email.split('.')[0]} {url}"] = len(queries)
    return counts


def grow(office, times: int, seed: int) -> None:
    """More of everything in the office: what a page shows grows, its query count must
    not."""
    from circles.decisions.models import Decision, Meeting
    from circles.models import Circle, User
    from contacts.generate import generate_people
    from pipeline.agenda.models import Notification, Reminder, Task
    from pipeline.generate import generate_deals

    generate_people(office=office, count=100 * times, seed=seed)
    generate_deals(office=office, count=130 * times, seed=seed)
    people = list(User.objects.filter(office=office, is_active=True))
    today = timezone.localdate()
    Task.objects.bulk_create([
        Task(title=f"Task {n}", office=office, assignee=people[n % len(people)],
             created_by=people[0], due_date=today + dt.timedelta(days=n % 20 - 5))
        for n in range(100 * times)])
    Reminder.objects.bulk_create([
        Reminder(user=people[n % len(people)], text=f"R{n}",
                 remind_at=timezone.now() + dt.timedelta(hours=n)) for n in range(30 * times)])
    Notification.objects.bulk_create([
        Notification(user=people[n % len(people)], text=f"N{n}") for n in range(30 * times)])
    circles = list(Circle.objects.filter(office=office))
    secretary = User.objects.get(email="emma.taylor@tsg.example")
    Decision.objects.bulk_create([
        Decision(circle=circles[n % len(circles)], title=f"Decision {n}", text="We consent.",
                 decided_on=today - dt.timedelta(days=n), review_date=today
                 + dt.timedelta(days=n), recorded_by=secretary) for n in range(50 * times)])
    Meeting.objects.bulk_create([
        Meeting(circle=circles[n % len(circles)], starts_at=timezone.now()
                - dt.timedelta(days=n), created_by=secretary) for n in range(12 * times)])


def test_every_page_takes_the_same_queries_whatever_the_data(client):
    from circles.models import Office

    call_command("demo", "--quiet-logins", verbosity=0)
    uk = Office.objects.get(name="TSG United Kingdom")
    # Some of everything first (a page may skip a query for a list that is empty), then
    # three times more.
    grow(uk, times=1, seed=5)
    urls = pages()
    before = count_queries(client, urls)
    grow(uk, times=3, seed=6)
    after = count_queries(client, urls)
    grew = defaultdict(tuple)
    for page, n in before.items():
        if after[page] != n:
            grew[page] = (n, after[page])
    assert not grew, f"query counts that grew with the data: {dict(grew)}"
