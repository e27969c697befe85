"""Fail loudly, in one line each, when CI's PostgreSQL, Redis or RabbitMQ is unreachable.

Usage: check_services.py PG_URL REDIS_URL [AMQP_URL]
"""

import sys

import psycopg
import redis


def main(pg_url: str, redis_url: str, amqp_url: str | None = None) -> int:
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
    if amqp_url:
        from kombu import Connection

        try:
            with Connection(amqp_url, connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=1)
                version = conn.connection.server_properties.get("version", b"?")
                version = version.decode() if isinstance(version, bytes) else version
                print(f"RabbitMQ {version} reachable at {amqp_url.split('@')[-1]}")
        except Exception as exc:
            failures.append(f"RabbitMQ unreachable at {amqp_url.split('@')[-1]}: {exc}")
    for failure in failures:
        print(f"CI FAILURE: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
