"""Locust users for benchmarks/load_benchmark.py: commissioners on the equity map and the API, keyworkers
recording care-plan choices. Needs the Dorset demo (load_demo) and a succeeded run; the password is
DEMO_PASSWORD (default choicemap-demo)."""

from __future__ import annotations

import datetime
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("DEMO_PASSWORD", "choicemap-demo")
MEASURES = ["expected_menu", "menu_without_car", "menu_with_car", "real_choice_without_car"]


def sign_in(user: HttpUser, username: str) -> None:
    page = user.client.get("/accounts/login/", name="sign in (page)")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    with user.client.post(
        "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": user.host + "/accounts/login/"},
        name="sign in (post)",
        allow_redirects=False,
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"sign-in as {username} answered {response.status_code}")


class Commissioner(HttpUser):
    """Opens the map, looks around localities and measures, reads the table and the API."""

    weight = 3
    wait_time = between(1, 3)

    def on_start(self):
        sign_in(self, "commissioner")
        self.open_map()

    @task(2)
    def open_map(self):
        page = self.client.get("/map/", name="/map/")
        version = re.search(r'"geometry_version": "([^"]+)"', page.text)
        self.client.get(
            f"/map/api/shapes/?band=coarse&v={version.group(1) if version else ''}", name="/map/api/shapes/"
        )
        self.run_id = self.client.get("/map/api/runs/", name="/map/api/runs/").json()["current"]
        self.client.get(f"/map/api/runs/{self.run_id}/", name="/map/api/runs/{id}/")
        self.client.get(f"/map/api/runs/{self.run_id}/values/?measure=expected_menu", name="/map/api/runs/{id}/values/")
        self.client.get("/map/api/sites/", name="/map/api/sites/")
        self.client.get("/map/api/outreach/", name="/map/api/outreach/")

    @task(4)
    def change_measure(self):
        measure = random.choice(MEASURES)
        self.client.get(f"/map/api/runs/{self.run_id}/values/?measure={measure}", name="/map/api/runs/{id}/values/")

    @task(4)
    def look_at_a_locality(self):
        found = self.client.get(
            f"/map/api/localities/?q={random.choice('abcdeghlmnprstw')}", name="/map/api/localities/"
        )
        results = found.json().get("results", [])
        if results:
            locality = random.choice(results)
            self.client.get(
                f"/map/api/runs/{self.run_id}/localities/{locality['id']}/", name="/map/api/runs/{id}/localities/{id}/"
            )

    @task(1)
    def table(self):
        self.client.get(f"/map/table/?sort={random.choice(['code', 'expected_menu'])}", name="/map/table/")

    @task(1)
    def api_summary(self):
        self.client.get("/api/v1/runs/current/", name="/api/v1/runs/current/")
        self.client.get(f"/api/v1/runs/{self.run_id}/summary/", name="/api/v1/runs/{id}/summary/")


class Keyworker(HttpUser):
    """Reads the caseload and records a choice with a service user, through the pages."""

    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        sign_in(self, random.choice(["keyworker", "keyworker2"]))
        people = self.client.get("/api/v1/service-users/?page_size=100", name="/api/v1/service-users/").json()
        self.people = [person["id"] for person in people["results"]]
        options = self.client.get("/api/v1/options/?page_size=100", name="/api/v1/options/").json()
        self.options = [option["code"] for option in options["results"] if option.get("active", True)]

    @task(3)
    def caseload(self):
        self.client.get("/careplans/", name="/careplans/")

    @task(2)
    def record_a_choice(self):
        if not self.people or not self.options:
            return
        person = random.choice(self.people)
        self.client.get(f"/careplans/people/{person}/", name="/careplans/people/{id}/")
        option = random.choice(self.options)
        today = datetime.date.today()
        self.client.post(
            f"/api/v1/service-users/{person}/choices/",
            json={
                "discussed_on": today.isoformat(),
                "options_discussed": [option],
                "preferred_option": option,
                "agreed_option": option,
                "joint_decision": True,
                "review_on": (today + datetime.timedelta(days=90)).isoformat(),
            },
            headers={"X-CSRFToken": self.client.cookies.get("csrftoken", "")},
            name="POST /api/v1/service-users/{id}/choices/",
        )
