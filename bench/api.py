"""REST API (issue 18): ``GET /api/feed/`` and ``POST /api/shares/`` served by gunicorn
with two workers and production settings, loaded by wrk, each signed in by one of 200
employees' API tokens (rotated per request).

Baseline, in the same run: ``/bench/api-baseline/`` (bench.urls), a trivial DRF view
with the same token authentication, permission, throttling, JSON parser and renderers,
loaded with the same method (GET against the feed, POST with the same body against
the shares), measured before and after the endpoints of each run and averaged.

Each POST schedules a real share of a published post 30 days ahead on the employee's
own account (service, checks and audit event included); they are never due during
the benchmarks.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.test import override_settings

from bench.common import VAR, Series, free_port, log
from bench.portal import require_wrk, start_gunicorn, warm_up, wrk

TOKENS = 200
# Production refuses shares while the site's address is not https (every post links to it).
SITE = {"CANDOR_SITE_URL": "https://candor.bench.test"}
BASELINE = "/bench/api-baseline/"
ENDPOINTS = {"feed": ("GET", "/api/feed/"), "shares": ("POST", "/api/shares/")}

# Each line of the credentials file: "<token>\t<JSON body>" (the body is empty for GET).
LUA = """
local tokens, bodies = {}, {}
for line in io.lines("%(cookies)s") do
  local tab = line:find("\\t")
  tokens[#tokens + 1] = line:sub(1, tab - 1)
  bodies[#bodies + 1] = line:sub(tab + 1)
end
local n = 0
request = function()
  n = n + 1
  local i = (n %% #tokens) + 1
  local headers = {["Authorization"] = "Token " .. tokens[i], ["X-Forwarded-Proto"] = "https",
                   ["Host"] = "127.0.0.1", ["Accept"] = "application/json"}
  if wrk_method == "POST" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "%(path)s", headers, bodies[i])
  end
  return wrk.format("GET", "%(path)s", headers)
end
"""


def _lua(method: str) -> str:
    return f'local wrk_method = "{method}"\n' + LUA


def credentials(employee_ids: list[int], count: int) -> list[str]:
    """``count`` employees' tokens (issued by ``token_issue``, as the API token page does),
    each with the body of a share of one published post on their own Mastodon account,
    using the ready-to-post text the feed gives."""
    from django.test import Client

    from accounts.models import User
    from accounts.services import token_issue
    from advocacy.drafts.models import Draft
    from advocacy.ledger.models import ConnectedAccount

    draft = Draft.objects.filter(title="Warehouse robots").get()
    step = max(1, len(employee_ids) // count)
    users = list(User.objects.filter(pk__in=employee_ids[::step][:count]))
    accounts = dict(ConnectedAccount.objects.filter(owner__in=users, network="mastodon").values_list("owner_id", "pk"))
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    token = token_issue(actor=users[0], user=users[0])
    feed = client.get("/api/feed/?limit=200", HTTP_AUTHORIZATION=f"Token {token.key}").json()
    text = next(item["texts"]["mastodon"] for item in feed["results"] if item["id"] == draft.pk)
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    lines = []
    for user in users:
        key = token_issue(actor=user, user=user).key
        body = {"draft": draft.pk, "account": accounts[user.pk], "text": text, "scheduled_at": when}
        lines.append(f"{key}\t{json.dumps(body)}")
    first_key, first_body = lines[0].split("\t")
    answer = client.post(
        "/api/shares/", first_body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {first_key}"
    )
    if answer.status_code != 201:
        raise RuntimeError(f"POST /api/shares/ answered {answer.status_code}: {answer.content[:500]!r}")
    return lines


def run(*, employee_ids: list[int], seconds: int, runs: int) -> dict[str, Any]:
    require_wrk()
    port = free_port()
    credentials_file: Path = VAR / f"api-tokens-{port}.txt"
    with override_settings(**SITE):
        credentials_file.write_text("\n".join(credentials(employee_ids, TOKENS)) + "\n")
    rps = {name: Series() for name in ENDPOINTS}
    p95 = {name: Series() for name in ENDPOINTS}
    base_rps = {name: Series() for name in ENDPOINTS}
    base_p95 = {name: Series() for name in ENDPOINTS}
    samples: list[dict[str, Any]] = []

    def load(method: str, path: str, duration: int = seconds) -> dict[str, Any]:
        result = wrk(port, path, credentials_file, duration, lua=_lua(method), method=method)
        if result["errors"] or result["non_2xx"]:
            raise RuntimeError(f"{method} {path}: {result['errors']} errors, {result['non_2xx']} non-2xx responses")
        return result

    server = start_gunicorn(port, env=SITE)
    try:
        token, body = credentials_file.read_text().split("\n", 1)[0].split("\t")
        for method, path in (*ENDPOINTS.values(), ("GET", BASELINE), ("POST", BASELINE)):
            headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
            warm_up(port, method, path, headers, body if method == "POST" else None)
            load(method, path, 3)  # warm-up: serializers, connections, caches
        for n in range(runs):
            for name, (method, path) in ENDPOINTS.items():
                # The baseline on both sides of the endpoint, against drift within a run.
                before, measured, after = load(method, BASELINE), load(method, path), load(method, BASELINE)
                rps[name].add(measured["rps"])
                p95[name].add(measured["p95_ms"])
                base_rps[name].add((before["rps"] + after["rps"]) / 2)
                base_p95[name].add(max(before["p95_ms"], after["p95_ms"]))
                samples.append(
                    {
                        "run": n + 1,
                        "endpoint": name,
                        "rps": round(measured["rps"], 1),
                        "p95_ms": round(measured["p95_ms"], 1),
                    }
                )
            log(
                f"  run {n + 1}: "
                + ", ".join(
                    f"{ENDPOINTS[k][0]} {ENDPOINTS[k][1]} {rps[k].values[-1]:.0f} req/s (baseline "
                    f"{base_rps[k].values[-1]:.0f})"
                    for k in ENDPOINTS
                )
            )
    finally:
        server.stop()
        credentials_file.unlink(missing_ok=True)
        for leftover in VAR.glob(f"wrk-{port}-*.lua"):
            leftover.unlink(missing_ok=True)
    return {"rps": rps, "p95_ms": p95, "baseline_rps": base_rps, "baseline_p95_ms": base_p95, "samples": samples}
