"""Portal: the employee feed (``/feed/``) and my shares (``/shares/``) served by
gunicorn with two workers and production settings, loaded by ``wrk`` from a
second process, over the seeded data set.

Baseline, in the same run: ``/bench/baseline/``, a trivial view that renders the
same base template through the same middleware, session and login check, measured
before and after the pages of each run and averaged.

Each page is loaded by many employees (one signed-in session each, rotated per
request by a wrk Lua script), so no single user's rows stay hot. Query counts are
taken in-process with the test client, for a light and a heavy data set.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import VAR, Process, Series, free_port, log

PAGES = {"baseline": "/bench/baseline/", "feed": "/feed/", "shares": "/shares/"}
SESSIONS = 200
CONNECTIONS = 4
# Behind the TLS proxy production runs behind (SECURE_PROXY_SSL_HEADER).
PROXY_HEADER = "X-Forwarded-Proto: https"

LUA = """
local cookies = {}
for line in io.lines("%(cookies)s") do cookies[#cookies + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "%(path)s", {["Cookie"] = "sessionid=" .. cookies[(n %% #cookies) + 1],
                                         ["X-Forwarded-Proto"] = "https", ["Host"] = "127.0.0.1"})
end
"""
# Prints the figures as one JSON line; every script ends with it.
LUA_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
      + summary.errors.timeout
  io.write(string.format("RESULT {\\"requests\\": %%d, \\"seconds\\": %%f, \\"errors\\": %%d, \\"p50_ms\\": %%f, "
      .. "\\"p95_ms\\": %%f, \\"p99_ms\\": %%f}\\n", summary.requests, summary.duration / 1e6, errors,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def make_sessions(employee_ids: list[int], count: int) -> list[str]:
    """Signed-in sessions for ``count`` employees, as the login view would leave them."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    step = max(1, len(employee_ids) // count)
    keys = []
    for user in User.objects.filter(pk__in=employee_ids[::step][:count]):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        keys.append(store.session_key)
    return keys


def query_counts(employee_ids: list[int]) -> dict[str, Any]:
    """Queries per page for a light and a heavy case: the counts must be equal.

    Light: an employee with one share, and a feed of one draft. Heavy: the employee
    with the most shares (the page shows 200), and the full feed (a page of all drafts).
    The light feed is made inside a transaction that is rolled back.
    """
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from advocacy.drafts.models import Draft
    from advocacy.portal.employee import FEED_PAGE_SIZE
    from advocacy.sharing.models import Share

    def count(user: Any, path: str) -> int:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        client.force_login(user)
        client.get(path)  # first request warms caches (translations, templates)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return len(queries)

    heavy_id = (
        Share.objects.filter(employee_id__in=employee_ids)
        .values("employee_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("employee_id", flat=True)
        .first()
    )
    heavy = User.objects.get(pk=heavy_id)
    light = User.objects.get(pk=employee_ids[-1])
    heavy_shares = Share.objects.filter(employee=heavy).count()
    result: dict[str, Any] = {"shares": {}, "feed": {}}
    result["shares"]["heavy"] = {"rows": min(heavy_shares, 200), "queries": count(heavy, "/shares/")}
    result["feed"]["heavy"] = {
        "rows": min(FEED_PAGE_SIZE, Draft.objects.filter(published_version__isnull=False).count()),
        "queries": count(heavy, "/feed/"),
    }

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            keep = Share.objects.filter(employee=light).order_by("pk").values_list("pk", flat=True).first()
            Share.objects.filter(employee=light).exclude(pk=keep).update(employee=heavy)
            first = Draft.objects.filter(published_version__isnull=False).order_by("-published_at").first()
            Draft.objects.exclude(pk=first.pk).update(state=Draft.State.RETIRED)
            result["shares"]["light"] = {
                "rows": Share.objects.filter(employee=light).count(),
                "queries": count(light, "/shares/"),
            }
            result["feed"]["light"] = {"rows": 1, "queries": count(light, "/feed/")}
            raise Rollback
    except Rollback:
        pass
    for page in ("shares", "feed"):
        result[page]["independent_of_data_size"] = result[page]["light"]["queries"] == result[page]["heavy"]["queries"]
    return result


def wrk(
    port: int, path: str, cookies_file: Path, seconds: int, *, lua: str = LUA, method: str = "GET"
) -> dict[str, Any]:
    """Load ``path`` for ``seconds`` with wrk's ``lua`` request script (its %(cookies)s:
    a file of one credential per line, rotated per request), and return its figures."""
    # Named after the server's port: runs at the same time must not share scripts or sessions.
    script = VAR / f"wrk-{port}-{method}-{path.strip('/').replace('/', '-')}.lua"
    script.write_text((lua + LUA_DONE) % {"cookies": cookies_file, "path": path})
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^RESULT (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    result: dict[str, Any] = json.loads(match.group(1))
    result["rps"] = result["requests"] / result["seconds"]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    return result


def check_signed_in(port: int, cookies_file: Path) -> None:
    """Every page answers 200 to a session: wrk counts only 4xx and 5xx as errors, so a
    redirect to the sign-in page (a lost session) would otherwise be measured as a page."""
    session = cookies_file.read_text().split()[0]
    for path in PAGES.values():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path, headers={"Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
        connection.close()
        if status != 200:
            raise RuntimeError(f"{path} answered {status} to a signed-in employee, not 200")


def warm_up(port: int, method: str, path: str, headers: dict[str, str], body: str | None = None) -> None:
    """Send one request from each of ``CONNECTIONS`` threads at once and wait for all the
    answers, however long: a gunicorn worker imports Candor's views on its first
    request, which took over 30 s (gunicorn's worker timeout) on a heavily loaded
    machine, and a worker killed for it starts cold again. Both workers are warm after."""

    def one() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.request(method, path, body=body, headers={"X-Forwarded-Proto": "https", **headers})
        connection.getresponse().read()
        connection.close()

    threads = [threading.Thread(target=one, daemon=True) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def start_gunicorn(port: int, *, env: dict[str, str] | None = None) -> Process:
    """Candor under gunicorn with two workers, production settings, on ``port``."""
    server = Process(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "advocacy.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(VAR / "logs" / "access.log"),
            # A cold worker's first request imports Candor's views: on a loaded 2-core
            # machine that outlasts gunicorn's default 30 s, and the killed worker restarts cold.
            "--timeout",
            "300",
        ],
        env=env,
    )
    server.wait_for_output("Booting worker", timeout=60)
    return server


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (make bench installs it with apt-get).")


def write_cookies(port: int, employee_ids: list[int]) -> Path:
    """A file of signed-in session keys, one per line, for wrk's script."""
    cookies_file = VAR / f"cookies-{port}.txt"
    cookies_file.write_text("\n".join(make_sessions(employee_ids, SESSIONS)) + "\n")
    return cookies_file


def run(*, employee_ids: list[int], seconds: int, runs: int) -> dict[str, Any]:
    require_wrk()
    port = free_port()
    cookies_file = write_cookies(port, employee_ids)
    counts = query_counts(employee_ids)
    log(f"  query counts: {json.dumps(counts)}")
    series: dict[str, Series] = {name: Series() for name in PAGES}
    p95: dict[str, Series] = {name: Series() for name in PAGES}
    samples: list[dict[str, Any]] = []
    server = start_gunicorn(port)
    try:
        session = cookies_file.read_text().split()[0]
        for path in PAGES.values():
            warm_up(port, "GET", path, {"Cookie": f"sessionid={session}"})
        check_signed_in(port, cookies_file)
        for path in PAGES.values():  # warm-up: imports, templates, translations, connections
            wrk(port, path, cookies_file, 5)
        time.sleep(2)  # let gunicorn finish what the warm-up left queued
        for n in range(runs):
            # Interleaved, so load drift hits all pages alike; the baseline is measured
            # on both sides of the pages and averaged, as the machine's speed drifts
            # within a run too (single baselines of one run differed by up to 35%).
            results: dict[str, list[dict[str, float]]] = {name: [] for name in PAGES}
            for name in (*PAGES, "baseline"):
                time.sleep(1)
                path = PAGES[name]
                result = wrk(port, path, cookies_file, seconds)
                if result["errors"] or result["non_2xx"]:
                    raise RuntimeError(f"{path}: {result['errors']} errors, {result['non_2xx']} non-2xx responses")
                results[name].append(result)
                samples.append({"run": n + 1, "page": name, **{k: round(v, 2) for k, v in result.items()}})
            for name, measured in results.items():
                series[name].add(sum(r["rps"] for r in measured) / len(measured))
                p95[name].add(max(r["p95_ms"] for r in measured))
            log(
                f"  run {n + 1}: "
                + ", ".join(f"{k} {series[k].values[-1]:.0f} req/s (p95 {p95[k].values[-1]:.0f} ms)" for k in PAGES)
            )
    finally:
        server.stop()
        for leftover in (cookies_file, *VAR.glob(f"wrk-{port}-*.lua")):
            leftover.unlink(missing_ok=True)
    return {"rps": series, "p95_ms": p95, "query_counts": counts, "samples": samples}
