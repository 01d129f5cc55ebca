"""The daily mix of an e-office, one simulated person per locust user (run by bench/load_test.py).

Each user takes the next person of the plan (LOAD_PLAN, a JSON file written by load_test.py):
an account of a team (clerk, leader, specialists) of one agency, and the work waiting for it,
made beforehand through the real services. The person logs in (a leader also types the TOTP
code of their authenticator, computed here from the device's key as the app would), then, with
a pause of LOAD_THINK_MIN..LOAD_THINK_MAX seconds between actions, does what their role does:

- everyone: open the work queues, search, open a document and its PDF;
- clerk: register an incoming document, release an approved outgoing one;
- leader: direct (assign) a submitted document to a specialist;
- specialist: give an opinion on a document assigned to them.

Each request is named by its action; a POST is timed with the page it redirects to, as the
person waits for both. Every answer other than the expected one is a failure. `/healthz`,
rarely, measures the floor of any request on the same server under the same load.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
import threading

from locust import HttpUser, between, task

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mix_forms as forms  # noqa: E402  (the POSTs' addresses and fields, shared with bench/page_profile.py)

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())
_next = itertools.count()
_lock = threading.Lock()
WORDS = PLAN["search_words"]
QUEUES = ["waiting", "following", "due_soon", "overdue"]


def _totp(hex_key: str) -> str:
    """The code an authenticator app shows now (RFC 6238, django-otp's defaults: SHA-1, 30 s, 6 digits)."""
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(hex_key)).token():06d}"


class Person(HttpUser):
    wait_time = between(float(os.environ.get("LOAD_THINK_MIN", "10")), float(os.environ.get("LOAD_THINK_MAX", "30")))

    def on_start(self) -> None:
        with _lock:
            self.me = PLAN["people"][next(_next) % len(PLAN["people"])]
        self.work = {k: list(v) for k, v in self.me["items"].items()}
        self.rng = random.Random(self.me["username"])
        self.login()

    # --- helpers ------------------------------------------------------------------------------
    def _csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def _post(self, url: str, data: dict, name: str, expect: str) -> None:
        """POST a form; the person sees the page it redirects to, with `expect` in it."""
        with self.client.post(url, data={**data, "csrfmiddlewaretoken": self._csrf()}, name=name,
                              catch_response=True) as r:
            if r.status_code != 200 or expect not in r.text:
                said = re.findall(r'class="alert [^"]*"[^>]*>([^<]*)', r.text)[:2]
                r.failure(f"{r.status_code} {url}: {expect!r} not in the answer; it said {said}")

    def _get(self, url: str, name: str, expect: str | None = None) -> None:
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != 200 or (expect is not None and expect not in r.text):
                r.failure(f"{r.status_code} {url}")

    def login(self) -> None:
        self._get("/dang-nhap/", "login: page")
        with self.client.post("/dang-nhap/", name="login: password", catch_response=True, data={
                "username": self.me["username"], "password": PLAN["password"],
                "csrfmiddlewaretoken": self._csrf()}) as r:
            if r.status_code != 200 or ("xac-thuc-hai-buoc" not in r.url and "dang-nhap" in r.url):
                r.failure(f"login refused: {r.status_code} {r.url}")
                return
        if self.me.get("totp"):
            self._post("/xac-thuc-hai-buoc/", {"code": _totp(self.me["totp"])}, "login: TOTP code",
                       expect="dang-xuat")

    # --- the daily mix ------------------------------------------------------------------------
    @task(3)
    def queues(self) -> None:
        self._get("/", "queue: home")
        self._get(f"/viec/{self.rng.choice(QUEUES)}/", "queue: one list")

    @task(2)
    def search(self) -> None:
        direction = self.rng.choice(["van-ban-den", "van-ban-di"])
        self._get(f"/{direction}/?q={self.rng.choice(WORDS)}", "search")

    @task(3)
    def open_document(self) -> None:
        doc, attachment = self.rng.choice(self.me["open"])
        self._get(f"/van-ban/{doc}/", "document: page")
        if attachment:
            with self.client.get(f"/tep/{attachment}/", name="document: PDF", catch_response=True) as r:
                if r.status_code != 200 or not r.content.startswith(b"%PDF"):
                    r.failure(f"{r.status_code} not a PDF")

    @task(2)
    def role_action(self) -> None:
        role = self.me["role"]
        if role == "clerk":
            kind = self.rng.choice(["register", "release"])
            if not self.work[kind]:
                kind = "release" if kind == "register" else "register"
            if not self.work[kind]:
                return self.queues()
            doc = self.work[kind].pop()
            self._get(f"/van-ban/{doc}/", "document: page")
            self._post(*(forms.register if kind == "register" else forms.release)(doc), kind, expect="alert-success")
        elif role == "leader":
            if not self.work["assign"]:
                return self.open_document()
            doc = self.work["assign"].pop()
            self._get(f"/van-ban/{doc}/phan-cong/", "assign: form")
            self._post(*forms.assign(doc, self.rng.choice(self.me["specialists"])), "assign (direct)",
                       expect="alert-success")
        else:
            doc = self.rng.choice(self.work["opinion"])
            self._get(f"/van-ban/{doc}/", "document: page")
            self._post(*forms.opinion(doc), "opinion", expect="alert-success")

    @task(1)
    def floor(self) -> None:
        """The floor of any request on this server, under the same load (no session, one SELECT 1)."""
        self._get("/healthz", "floor: /healthz (SELECT 1)")
