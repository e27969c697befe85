"""Start-up configuration: misconfiguration stops with one clear line naming the
variable; production settings refuse to run without secrets and pass check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "advocacy.settings.production",
    "SECRET_KEY": "k" * 20 + "-production-secret-that-is-long-enough-1234567890",
    "ALLOWED_HOSTS": "candor.example.com",
    "CANDOR_CREDENTIALS_KEYS": "nW1bVjvCmI0Lw8vFQfYx3g8cRzj0N4cXhN9m2YJ6oTQ=",
    # base64 of an Ed25519 seed: the audit checkpoints' signing key, kept outside the database.
    "CANDOR_AUDIT_SIGNING_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        # The CI stages on PostgreSQL + Redis/RabbitMQ set these; the checks here are of the defaults.
        if k
        not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean["CANDOR_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql2://db.example/candor"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://db.example:5432"}, "DATABASE_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"CANDOR_SIGNUP_OPEN": "ja"}, "CANDOR_SIGNUP_OPEN"),
        ({"CANDOR_MIN_GROUP_SIZE": "zero"}, "CANDOR_MIN_GROUP_SIZE"),
        ({"OIDC_SERVER_URL": "https://login.example.com"}, "OIDC_CLIENT_ID"),
        ({"LINKEDIN_CLIENT_ID": "li-app"}, "LINKEDIN_CLIENT_SECRET"),
        ({"CANDOR_SEND_LEASE_SECONDS": "5"}, "CANDOR_SEND_LEASE_SECONDS"),
        ({"CANDOR_METRICS_TOKEN": "short"}, "CANDOR_METRICS_TOKEN"),
        ({"CANDOR_METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"}, "CANDOR_METRICS_ALLOWED_NETWORKS"),
        ({**PRODUCTION_ENV, "SECRET_KEY": ""}, "SECRET_KEY"),
        ({**PRODUCTION_ENV, "CANDOR_CREDENTIALS_KEYS": ""}, "CANDOR_CREDENTIALS_KEYS"),
        ({**PRODUCTION_ENV, "CANDOR_AUDIT_SIGNING_KEY": ""}, "CANDOR_AUDIT_SIGNING_KEY"),
    ],
)
def test_it_stops_with_one_line_naming_the_variable(env, variable, tmp_path):
    if env.get("SECRET_KEY") == "":
        env = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Candor configuration error:")
    assert variable in lines[0]


def test_it_reads_secrets_from_name_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(PRODUCTION_ENV["SECRET_KEY"])
    env = {**PRODUCTION_ENV, "SECRET_KEY_FILE": str(secret_file)}
    del env["SECRET_KEY"]

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr


def test_it_refuses_the_dev_secret_in_production(tmp_path):
    env = {**PRODUCTION_ENV, "SECRET_KEY": "dev-only-insecure-key-do-not-use-in-production-xxxxxxxx"}
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_reading_the_settings_makes_no_folder_and_start_up_makes_them(tmp_path):
    var = tmp_path / "var"
    read = subprocess.run(
        [sys.executable, "-c", "import advocacy.settings.dev"],
        cwd=ROOT,
        env={**os.environ, "CANDOR_VAR_DIR": str(var)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr
    assert not var.exists(), "importing settings must not touch the disk"

    result = manage("check", env={}, tmp_path=var)

    assert result.returncode == 0, result.stderr
    # (The audit witness folder is the test's own here, configured through the environment.)
    made = sorted(str(path.relative_to(var)) for path in var.rglob("*") if path.is_dir())
    assert made == ["broker", "broker/control", "broker/queue", "static"]
