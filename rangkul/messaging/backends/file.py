"""Appends one JSON line per message to a file in RANGKUL_SMS_FILE_DIR (demos, journeys).

The directory holds real numbers and codes of a demo: keep it out of backups and
version control (it defaults to ``var/sms`` under the project, which is ignored).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone

_lock = threading.Lock()


class SmsBackend:
    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory or settings.SMS_FILE_DIR)

    @property
    def path(self) -> Path:
        return self.directory / "messages.jsonl"

    def send_sms(self, *, to: str, body: str, purpose: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": to, "body": body, "purpose": purpose, "sent_at": timezone.now().isoformat()}, ensure_ascii=False
        )
        with _lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def read_messages(directory: str | Path | None = None) -> list[dict[str, str]]:
    path = SmsBackend(directory).path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
