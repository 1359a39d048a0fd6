"""A local SMTP sink (aiosmtpd) in the benchmark process: it counts the mails of one campaign and when they came."""

from __future__ import annotations

import threading
import time
from typing import Any

from bench_server import free_port


class MailSink:
    """Accepts every mail on 127.0.0.1:`port` and records the arrival time of those that hold `tag` (subject or body)."""

    def __init__(self, port: int = 0) -> None:
        from aiosmtpd.controller import Controller  # optional: only the e-mail figure needs it

        self.tag = ""
        self.arrivals: list[float] = []
        self.others = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.port = port or free_port()  # aiosmtpd's Controller cannot take port 0
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        arrived = time.perf_counter()
        content = envelope.original_content or b""
        with self._changed:
            if self.tag and self.tag.encode() in content:
                self.arrivals.append(arrived)
            else:
                self.others += 1
            self._changed.notify_all()
        return "250 OK"

    def count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def wait_for(self, expected: int, timeout: float) -> tuple[int, float | None]:
        """Waits until `expected` tagged mails arrived; returns how many did and when the last one came."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.arrivals) < expected:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(min(left, 0.5))
            return len(self.arrivals), (max(self.arrivals) if self.arrivals else None)
