"""Where a page's CPU goes: the load test's pages, in process, against its dataset.

    python bench/page_profile.py [--pg-name vpdt_bench_load] [--runs 10] [--people clerk,leader,spec0]
                                 [--page NAME ...] [--profile NAME] [--top 40] [--sort KEY] [--callees FN ...] [--save FILE]
                                 [--sql NAME ...]
                                 [--src DIR]

Needs the load test's dataset and plan (`python bench/load_test.py --prepare-only`, or
`--pg-name vpdt_bench_loads --docs 100000 --people 10 --prepare-only` for a small one: the
Python side of a page hardly depends on the number of documents). Logs each person of team 0
in as locust does (password, then the TOTP code for the leader) with Django's test client,
then requests each page of the daily mix (home, the four work lists, search in incoming and
outgoing, a document of the person's, its PDF) RUNS times after two warm-ups, and prints per
page: the median CPU of the request in this process (`time.process_time`: middleware, session,
view, the ORM's and psycopg's side of the queries, templates; PostgreSQL's own CPU is not in
it), the median wall time, and the statements. `--profile NAME` then runs that page under
cProfile (CPU time) and prints the functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# --src DIR: the code to measure (another checkout, for a before/after on one dataset)
SRC = sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv else str(HERE.parent / "src")
sys.path.insert(0, SRC)
sys.path.insert(0, str(HERE.parent))
import load_test  # noqa: E402  (the dataset, the plan, the environment of the served run)

sys.path.insert(0, str(HERE / "load"))
import mix_forms as forms  # noqa: E402  (the daily mix's POSTs, as the locustfile sends them)

sys.path.insert(0, SRC)  # first again: lists_bench (imported by load_test) put this checkout's src first


def pages_of(person: dict) -> dict[str, str]:
    pages = {"home": "/"}
    for queue in ("waiting", "following", "due_soon", "overdue"):
        pages[f"list {queue}"] = f"/viec/{queue}/"
    word = load_test.json_plan["search_words"][0]
    pages["search incoming"] = f"/van-ban-den/?q={word}"
    pages["search outgoing"] = f"/van-ban-di/?q={word}"
    doc, attachment = person["open"][0]
    pages["document"] = f"/van-ban/{doc}/"
    if attachment:
        pages["document PDF"] = f"/tep/{attachment}/"
    return pages


def login(client, person: dict) -> None:
    r = client.post("/dang-nhap/", {"username": person["username"], "password": load_test.PASSWORD}, follow=True)
    if person.get("totp"):
        from django_otp.oath import TOTP

        for _ in range(2):  # a code is taken once: the one of the last run waits for the next window
            code = f"{TOTP(bytes.fromhex(person['totp'])).token():06d}"
            r = client.post("/xac-thuc-hai-buoc/", {"code": code}, follow=True)
            if "xac-thuc-hai-buoc" not in r.request["PATH_INFO"]:
                break
            time.sleep(31 - time.time() % 30)
    path = r.request["PATH_INFO"]
    assert r.status_code == 200 and "dang-nhap" not in path and "xac-thuc" not in path, (person["username"], path)


def drain(response) -> None:
    if response.streaming:
        for _ in response.streaming_content:
            pass
    else:
        response.content  # noqa: B018 - rendered
    response.close()


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        drain(response)
    cpu, wall = [], []
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        response = client.get(url)
        drain(response)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        drain(response)
    return {"cpu_ms": round(statistics.median(cpu) * 1000, 1), "wall_ms": round(statistics.median(wall) * 1000, 1),
            "statements": len(queries), "sql": [q["sql"] for q in queries.captured_queries]}


def sites(client, url: str, runs: int) -> list[tuple[str, float, int]]:
    """CPU in this process per statement's call site (the innermost frame of vpdt that is not
    core/prepared.py): the ORM writing the statement out, the driver, converting the rows; not
    the filter() calls that built the queryset before it ran."""
    import traceback

    from django.db.models.sql import compiler

    src, spent = str(Path(SRC).resolve()), {}
    original = compiler.SQLCompiler.execute_sql

    def timed(self, *args, **kwargs):
        c = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            took, site = time.process_time() - c, "?"
            for frame in reversed(traceback.extract_stack(limit=40)[:-1]):
                if frame.filename.startswith(src) and not frame.filename.endswith("core/prepared.py"):
                    site = f"{frame.filename[len(src) + 1:]}:{frame.lineno} {frame.name}"
                    break
            total, n = spent.get(site, (0.0, 0))
            spent[site] = (total + took, n + 1)

    compiler.SQLCompiler.execute_sql = timed
    try:
        for _ in range(runs):
            drain(client.get(url))
    finally:
        compiler.SQLCompiler.execute_sql = original
    return sorted(((site, t / runs * 1000, n // runs) for site, (t, n) in spent.items()), key=lambda x: -x[1])


def acts_of(person: dict) -> list[tuple[str, str, dict]]:
    """The POSTs of the person's role in the daily mix, one per work item left in the plan (each
    can be done once: `load_test.py --prepare-only` makes new ones), as the locustfile sends them."""
    work, acts = person["items"], []
    acts += [("register", *forms.register(doc)) for doc in work.get("register", [])]
    acts += [("release", *forms.release(doc)) for doc in work.get("release", [])]
    acts += [("assign", *forms.assign(doc, person["specialists"][i % len(person["specialists"])]))
             for i, doc in enumerate(work.get("assign", []))]
    acts += [("opinion", *forms.opinion(doc)) for doc in work.get("opinion", []) * 3]
    return acts


def measure_acts(client, person: dict, profile: cProfile.Profile | None) -> dict[str, list]:
    """Each act POSTed (without following its redirect): {name: [(cpu s, wall s, statements)]}."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    done: dict[str, list] = {}
    for name, url, data in acts_of(person):
        client.get(url.rsplit("/", 2)[0] + "/")  # the document's page first, as the person does
        token = client.cookies["csrftoken"].value
        with CaptureQueriesContext(connection) as queries:
            c, w = time.process_time(), time.perf_counter()
            if profile:
                profile.enable()
            response = client.post(url, {**data, "csrfmiddlewaretoken": token})
            if profile:
                profile.disable()
            cpu, wall = time.process_time() - c, time.perf_counter() - w
        assert response.status_code == 302, (name, url, response.status_code)
        done.setdefault(name, []).append((cpu, wall, len(queries)))
    return done


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-name", default=load_test.PG_NAME)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--people", default="clerk,leader,spec0", help="roles of team 0, comma-separated")
    parser.add_argument("--page", action="append", default=[], help="only these pages (names as printed)")
    parser.add_argument("--profile", metavar="NAME", help="profile this page (for the first person listed)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime, ...")
    parser.add_argument("--src", default=SRC, help="the source tree to measure (default: this checkout's)")
    parser.add_argument("--save", metavar="FILE", help="also write the profile (pstats) to FILE")
    parser.add_argument("--callees", action="append", default=[], metavar="FN")
    parser.add_argument("--acts", action="store_true",
                        help="time the role's POSTs (register, release, assign, opinion) and the login instead of the pages")
    parser.add_argument("--sql", action="append", default=[], metavar="NAME", help="print the statements of this page")
    parser.add_argument("--sites", action="append", default=[], metavar="NAME",
                        help="print where this page's statements are made and the CPU each site takes to run them")
    args = parser.parse_args()
    load_test.use_database(args.pg_name)
    plan_path = load_test.BENCH_DIR / "plan.json"
    if not plan_path.exists():
        print(f"no plan at {plan_path}: run bench/load_test.py --pg-name {args.pg_name} --prepare-only first")
        return 2
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    load_test.json_plan = plan
    os.environ.update(load_test._env())
    os.environ["DJANGO_SETTINGS_MODULE"] = "vpdt.settings"
    os.environ.setdefault("VPDT_ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.conf import settings

    import vpdt

    assert Path(vpdt.__file__).resolve().is_relative_to(Path(args.src).resolve()), vpdt.__file__
    from django.test import Client

    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    roles = args.people.split(",")
    people = {p["username"].split("_", 1)[1]: p for p in plan["people"] if p["username"].startswith("load0_")}
    print(f"dataset {args.pg_name}: {plan['dataset'].get('documents')} documents; CPU of this process per request, "
          f"median of {args.runs}")
    print(f"{'person':8} {'page':18} {'CPU ms':>7} {'wall ms':>8} {'statements':>10}")
    for role in roles:
        person = people[role]
        client = Client()
        c, w = time.process_time(), time.perf_counter()
        login(client, person)
        if args.acts:
            print(f"{role:8} {'login':18} {(time.process_time() - c) * 1000:7.1f} {(time.perf_counter() - w) * 1000:8.1f}")
            profile = cProfile.Profile(time.process_time) if args.profile else None
            for name, runs in measure_acts(client, person, profile).items():
                print(f"{role:8} {name:18} {statistics.median(r[0] for r in runs) * 1000:7.1f} "
                      f"{statistics.median(r[1] for r in runs) * 1000:8.1f} {runs[0][2]:10d}  (median of {len(runs)}; "
                      f"the first {runs[0][0] * 1000:.1f} ms CPU, {runs[0][2]} statements)")
            if profile:
                report(profile, args, args.save and args.save.replace(".prof", f"_{role}.prof"))
            continue
        pages = pages_of(person)
        for name, url in pages.items():
            if args.page and name not in args.page:
                continue
            m = measure(client, url, args.runs)
            print(f"{role:8} {name:18} {m['cpu_ms']:7.1f} {m['wall_ms']:8.1f} {m['statements']:10d}")
            if name in args.sql:
                for i, sql in enumerate(m["sql"], 1):
                    print(f"  {i:3}. {sql}")
            if name in args.sites:
                for site, ms, n in sites(client, url, args.runs):
                    print(f"  {ms:6.2f} ms  {n:2d} x  {site}")
        if args.profile and role == roles[0]:
            url = pages[args.profile]
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.runs):
                response = client.get(url)
                drain(response)
            profile.disable()
            report(profile, args, args.save)
    return 0


def report(profile: cProfile.Profile, args, save: str | None) -> None:
    stats = pstats.Stats(profile)
    if save:
        stats.dump_stats(save)
    stats.sort_stats(args.sort).print_stats(args.top)
    for name in args.callees:
        stats.print_callees(name)


if __name__ == "__main__":
    raise SystemExit(main())
