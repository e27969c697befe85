"""The S3 witness against a real S3 endpoint on loopback (moto's server, which speaks
the S3 REST API with object lock): checkpoints land as locked objects that cannot be
deleted, a rewritten history is caught from the bucket alone, and a bucket without
object lock or out of reach is a health problem."""

import datetime as dt

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from advocacy.audit import checkpoints
from advocacy.audit.witnessed import witnessed_verify
from advocacy.core.errors import Conflict
from advocacy.core.health import check_audit_witnesses
from tests.support.audit_history import record, rewrite_history, third_event_rewritten
from tests.support.pds import free_loopback_port

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_loopback_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, request):
    """A fresh bucket with object lock, the only witness."""
    for name, value in {"AWS_ACCESS_KEY_ID": "candor", "AWS_SECRET_ACCESS_KEY": "candor-secret",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    name = f"candor-witness-{request.node.name.lower().replace('_', '-')[:40]}"
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    settings.CANDOR_AUDIT_WITNESS_DIRS = []
    settings.CANDOR_AUDIT_WITNESS_S3 = f"s3://{name}/audit"
    settings.CANDOR_AUDIT_WITNESS_S3_ENDPOINT = s3_endpoint
    settings.CANDOR_AUDIT_WITNESS_S3_RETENTION_DAYS = 30
    return client, name


def test_each_checkpoint_is_a_locked_object_nobody_can_delete(employee, checkpoint, bucket):
    client, name = bucket
    record(employee, 4)
    signed = checkpoint()
    assert signed.witness_failures == [] and signed.witnessed_at is not None
    keys = sorted(item["Key"] for item in client.list_objects_v2(Bucket=name)["Contents"])
    assert keys == ["audit/000000000000-000000000004.hashes", "audit/000000000004.checkpoint"]
    stored = client.get_object(Bucket=name, Key="audit/000000000004.checkpoint")
    assert stored["Body"].read().decode() == signed.note
    assert stored["ObjectLockMode"] == "COMPLIANCE"
    assert stored["ObjectLockRetainUntilDate"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    with pytest.raises(ClientError, match="AccessDenied"):
        client.delete_object(Bucket=name, Key="audit/000000000004.checkpoint", VersionId=stored["VersionId"])
    assert check_audit_witnesses().ok


def test_a_rewritten_history_is_caught_from_the_bucket_alone(employee, bucket, witnessed):
    assert witnessed_verify().ok
    rewrite_history(third_event_rewritten)
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 3
    assert "event #3 differs from the witnessed one" in report.reason
    record(employee, 1, start=8)
    with pytest.raises(Conflict, match="will not sign a rewritten history"):
        checkpoints.checkpoint_create(actor=None)


def test_a_bucket_without_object_lock_is_a_health_problem(bucket, settings):
    client, _ = bucket
    client.create_bucket(Bucket="candor-unlocked")
    settings.CANDOR_AUDIT_WITNESS_S3 = "s3://candor-unlocked/audit"
    check = check_audit_witnesses()
    assert not check.ok and "has no object lock" in check.detail


def test_an_unreachable_bucket_is_a_health_problem_and_the_checkpoint_says_so(employee, checkpoint, bucket, settings):
    settings.CANDOR_AUDIT_WITNESS_S3_ENDPOINT = f"http://127.0.0.1:{free_loopback_port()}"
    assert "cannot be reached" in check_audit_witnesses().detail
    record(employee, 2)
    signed = checkpoint()
    assert signed.witnessed_at is None and "S3 bucket" in signed.witness_failures[0]
