"""Fail loudly, in one line each, when CI's PostgreSQL or Redis is unreachable."""

import sys

import psycopg
import redis


def main(pg_url: str, redis_url: str) -> int:
    failures = []
    try:
        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            print(f"PostgreSQL {version} reachable at {pg_url}")
    except Exception as exc:
        failures.append(f"PostgreSQL unreachable at {pg_url}: {exc}")
    try:
        info = redis.Redis.from_url(redis_url, socket_connect_timeout=5).info("server")
        print(f"Redis {info['redis_version']} reachable at {redis_url}")
    except Exception as exc:
        failures.append(f"Redis unreachable at {redis_url}: {exc}")
    for failure in failures:
        print(f"CI FAILURE: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
