"""The four kinds of people of the network, doing what they do every day (locust).

Consultants work their pipeline and contacts, secretaries their circles' logbooks, office
leads read reports, admins look after offices and people. Each logs in once with a login
of var/bench/users.json (written by bench/scale.py), then follows links it finds on the
pages, as a person clicks: the ids come from the pages, never from the database.
"""

import json
import random
import re
import time
from pathlib import Path

from locust import HttpUser, between, task

USERS = json.loads((Path(__file__).resolve().parents[1] / "var" / "bench" / "users.json")
                   .read_text())
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SEARCHES = ["an", "mar", "de", "lee", "school", "@example", "zz"]


class Person(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(1, 3)  # a person reads a page before the next click

    def on_start(self) -> None:
        email = random.choice(USERS["users"][self.kind])
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        self.client.post("/accounts/login/", name="log in",
                         data={"username": email, "password": USERS["password"],
                               "csrfmiddlewaretoken": token},
                         headers={"Referer": self.host + "/accounts/login/"})

    def open(self, path: str, name: str, **kwargs) -> str:
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {path}")
            return response.text or ""

    def follow(self, page: str, pattern: str, name: str, **kwargs) -> str:
        """Open one of the links of `page` matching `pattern` (a path with a number)."""
        links = re.findall(pattern, page)
        return self.open(random.choice(links), name, **kwargs) if links else ""

    def htmx(self) -> dict:
        return {"headers": {"HX-Request": "true"}}


class Consultant(Person):
    kind = "consultant"
    weight = 10

    @task(4)
    def board(self) -> None:
        self.open("/", "home")
        page = self.open("/pipeline/", "pipeline board")
        self.follow(page, r'href="(/deals/\d+/)"', "deal")

    @task(3)
    def deals(self) -> None:
        page = self.open("/deals/", "deal list")
        self.open("/deals/?sort=-value", "deal list, by value")
        self.follow(page, r'href="(/deals/\d+/)"', "deal")

    @task(3)
    def contacts(self) -> None:
        page = self.open(f"/contacts/?q={random.choice(SEARCHES)}", "contact search")
        self.follow(page, r'href="(/contacts/\d+/)"', "contact")

    @task(2)
    def agenda(self) -> None:
        self.open("/tasks/", "tasks")
        self.open("/calendar/", "calendar")
        self.open("/notifications/bell/", "notification bell (htmx)", **self.htmx())

    @task(1)
    def log_a_call(self) -> None:
        page = self.open("/deals/", "deal list")
        links = re.findall(r'href="(/deals/\d+/)"', page)
        if not links:
            return
        deal = random.choice(links)
        page = self.open(deal, "deal")
        match = CSRF.search(page)
        if match:
            self.client.post(f"{deal}interactions/", name="log an interaction",
                             data={"kind": "call", "notes": "Called back, interested.",
                                   "happened_at": time.strftime("%Y-%m-%dT%H:%M"),
                                   "csrfmiddlewaretoken": match.group(1)},
                             headers={"Referer": self.host + deal, "HX-Request": "true"})


class Secretary(Person):
    kind = "secretary"
    weight = 3

    @task(2)
    def circles(self) -> None:
        page = self.open("/circles/", "circle chart")
        page = self.follow(page, r'href="(/circles/\d+/)"', "circle")
        self.follow(page, r'href="(/circles/\d+/meetings/)"', "meetings of a circle")

    @task(2)
    def decisions(self) -> None:
        page = self.open("/decisions/", "decision register")
        self.follow(page, r'href="(/decisions/\d+/)"', "decision")

    @task(1)
    def health(self) -> None:
        self.open("/circles/health/", "structure health")


class OfficeLead(Person):
    kind = "lead"
    weight = 2

    @task(3)
    def report(self) -> None:
        self.open("/reports/", "office report")

    @task(2)
    def pipeline(self) -> None:
        self.open("/pipeline/", "pipeline board")
        self.open("/deals/?overdue=1", "deal list, overdue")


class Admin(Person):
    kind = "admin"
    weight = 1

    @task(2)
    def offices(self) -> None:
        page = self.open("/offices/", "offices")
        self.follow(page, r'href="(/offices/\d+/)"', "office")

    @task(1)
    def admin_site(self) -> None:
        self.open("/admin/", "admin index")
        self.open("/admin/circles/user/", "admin people")
        self.open("/reports/network/", "network report")
