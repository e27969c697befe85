"""What operators read: /metrics (Prometheus) and the posting figures /healthz checks.

Above every domain app (it reads their tables) and below nothing: no app imports it
except the URL configuration and ``advocacy.core.health`` (inside its checks)."""
