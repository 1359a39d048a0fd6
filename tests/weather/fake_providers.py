"""A local HTTP server that answers like Open-Meteo and Oikolab, from the fixture files.

It is a real server (http.server in a thread, on 127.0.0.1): the client's requests go through
httpx, sockets, timeouts and all. Success answers follow each provider's documented format: the
fixture holds one day of hourly values, re-dated and repeated over the days or hours asked, and
only the variables asked are answered. It checks
the requests as the providers do (400 for bad arguments, Oikolab's 401 for a wrong key).
`answer` forces an answer for the next requests: an error status with a fixture body, a
malformed body, or no answer before `delay` seconds ("slow").
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
OIKOLAB_KEY = "test-oikolab-key"
HOUR = 3600
ARCHIVE_LAG = 5 * 86400  # seconds


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Forced:
    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass
class FakeProviders:
    url: str = ""
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)
    answer: Forced | str | None = None  # None: as the provider; "slow": no answer for `delay` s
    delay: float = 5.0

    def error(self, status: int, name: str, content_type: str = "application/json") -> None:
        self.answer = Forced(status, fixture(name), content_type)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProviders

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        self.fake.requests.append((parts.path, query, dict(self.headers.items())))
        forced = self.fake.answer
        if forced == "slow":
            time.sleep(self.fake.delay)
            return self._send(200, b"{}")
        if isinstance(forced, Forced):
            return self._send(forced.status, forced.body, forced.content_type)
        if parts.path in ("/v1/archive", "/v1/forecast"):
            status, body = open_meteo(parts.path.rsplit("/", 1)[1], query)
        elif parts.path == "/weather":
            status, body = oikolab(query, self.headers.get("api-key"))
        else:
            status, body = 404, {"error": True, "reason": "Not found"}
        self._send(status, body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode())

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up waiting (the "slow" answer)
            pass


# -- Open-Meteo ------------------------------------------------------------------------------------


def _om_error(reason: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": True, "reason": reason}


def open_meteo(api: str, query: dict[str, list[str]]) -> tuple[int, Any]:
    day = json.loads(fixture("open_meteo_hourly.json"))
    try:
        latitude, longitude = float(query["latitude"][0]), float(query["longitude"][0])
    except (KeyError, ValueError):
        return _om_error("Parameter 'latitude' and 'longitude' are required")
    if not -90 <= latitude <= 90:
        return _om_error(f"Latitude must be in range of -90 to 90°. Given: {latitude}.")
    if not -180 <= longitude <= 180:
        return _om_error(f"Longitude must be in range of -180 to 180°. Given: {longitude}.")
    variables = [name for value in query.get("hourly", []) for name in value.split(",") if name]
    for name in variables:
        if name not in day["hourly"]:
            return _om_error(f"Cannot initialize SurfaceVariable from invalid String value {name}")
    try:
        first, last = date.fromisoformat(query["start_date"][0]), date.fromisoformat(query["end_date"][0])
    except (KeyError, ValueError):
        return _om_error("Parameter 'start_date' and 'end_date' must be dates")
    if last < first:
        return _om_error("End-date must be larger or equals than start-date")
    today = datetime.now(UTC).date()
    low, high = (
        (date(1940, 1, 1), today) if api == "archive" else (today - timedelta(93), today + timedelta(16))
    )
    for name, value in (("start_date", first), ("end_date", last)):
        if not low <= value <= high:
            return _om_error(f"Parameter '{name}' is out of allowed range from {low} to {high}")
    if query.get("timezone") != ["GMT"] or query.get("timeformat") != ["unixtime"]:
        return _om_error("This fake answers timezone=GMT&timeformat=unixtime only")
    start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
    hours = 24 * ((last - first).days + 1)
    hourly: dict[str, Any] = {"time": [start + HOUR * hour for hour in range(hours)]}
    # The archive's latest days have no values yet (nulls), as its reanalysis lags behind.
    lag = datetime.now(UTC).timestamp() - ARCHIVE_LAG if api == "archive" else float("inf")
    for name in variables:
        hourly[name] = [
            day["hourly"][name][hour % 24] if start + HOUR * hour < lag else None for hour in range(hours)
        ]
    units = {name: day["hourly_units"][name] for name in ("time", *variables)}
    return 200, {**{key: day[key] for key in list(day)[:7]}, "hourly_units": units, "hourly": hourly}


# -- Oikolab ---------------------------------------------------------------------------------------


def oikolab(query: dict[str, list[str]], header_key: str | None) -> tuple[int, Any]:
    if (query.get("api-key", [header_key])[0]) != OIKOLAB_KEY:
        return 401, fixture("oikolab_401.json")
    document = json.loads(fixture("oikolab_hourly.json"))
    table = json.loads(document["data"])
    names = [column.split(" ", 1)[0] for column in table["columns"]]
    wanted = query.get("param", [])
    for name in wanted:
        if name not in names[4:]:
            return 400, f"Unknown parameter: {name}".encode()
    try:
        start = datetime.fromisoformat(query["start"][0]).astimezone(UTC)
        end = datetime.fromisoformat(query["end"][0]).astimezone(UTC)
    except (KeyError, ValueError):
        return 400, b"start and end must be dates or datetimes"
    if query.get("model", ["era5"])[0] not in ("era5", "gfs"):
        return 400, b"Unknown model"
    first = int(start.replace(minute=0, second=0, microsecond=0).timestamp())
    instants = list(range(first, int(end.timestamp()) + 1, HOUR))  # both ends included
    positions = [names.index(name) for name in wanted]
    rows = []
    for instant in instants:
        row = table["data"][(instant // HOUR) % 24]
        rows.append(row[:4] + [row[position] for position in positions])
    answer = {
        "columns": table["columns"][:4] + [table["columns"][position] for position in positions],
        "index": [str(instant) for instant in instants],
        "data": rows,
    }
    return 200, {"attributes": document["attributes"], "data": json.dumps(answer)}


def closed_port() -> int:
    """A local port nobody listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server() -> tuple[FakeProviders, ThreadingHTTPServer]:
    fake = FakeProviders()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
