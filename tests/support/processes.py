"""Stopping the loopback servers the tests start (the Bluesky PDS, the OIDC provider)."""

from __future__ import annotations

import signal
import subprocess


def stop_server(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``. Safe to call twice."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    if process.stdin:
        process.stdin.close()
