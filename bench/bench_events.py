"""The events workload (issue 11): event fan-out, a filtered page out of 1,000,000 events, notification
counts, the live stream's latency and the e-mail drain, against any BEMServer-compatible API.

Campaigns, scopes, a user group linked to the first scope, its users and a few template events are made
through the API; the 1,000,000 events and the 100,000 notifications by direct SQL (bench_bulk), when the
server's database URL is known."""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from bench_api import Api, SetupError, status_text
from bench_bulk import LEVELS, STEP_SECONDS, delete_rows, event_index, expected_page_total
from bench_figures import EVENT_FIGURES_BY_KEY, Result
from bench_server import tree_cpu_seconds
from bench_workload import Workload, describe_cpu, say

BULK_START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
TEMPLATE_TIME = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)  # before the bulk range
POSTED_START = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)  # after it
LEVEL_MIN = "WARNING"
STANDARD_EVENTS = {"events": 1_000_000, "notifications": 100_000, "users": 200}


@dataclass
class EventOptions:
    events: int = 1_000_000  # bulk events (SQL), half in each campaign
    notifications: int = 100_000  # bulk notifications of the first user (SQL)
    users: int = 200  # in the group linked to the first scope: each WARNING event notifies them all
    posts: int = 20  # POST /events/ for the fan-out median, each on a quiet server
    drain_posts: int = 10  # POST /events/ at once, whose mails are the drain figure's
    requests: int = 50  # GETs per median
    stream_posts: int = 20
    drain_timeout: float = 120.0
    database_url: str | None = None
    mail_sink: Any = None  # a bench_smtp.MailSink the server sends its mails to, if any


def _safely(measure: Callable[[], Result]) -> Result:
    try:
        return measure()
    except httpx.TimeoutException as exc:
        return Result(detail=f"timeout ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return Result(detail=f"{type(exc).__name__}: {exc}"[:160])
    except (ValueError, KeyError, TypeError, AttributeError, LookupError) as exc:
        return Result(detail=f"unexpected response ({type(exc).__name__}: {exc})"[:160])


def pagination_total(response: httpx.Response) -> int | None:
    header = response.headers.get("X-Pagination")
    return orjson.loads(header).get("total") if header else None


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat()


class EventsWorkload:
    def __init__(
        self, api: Api, options: EventOptions, server_pid: int | None = None, database_pid: int | None = None
    ) -> None:
        self.api, self.options = api, options
        self.server_pid, self.database_pid = server_pid, database_pid
        self.results: dict[str, Result] = {}
        self.suffix = secrets.token_hex(4)
        self.campaigns: list[dict[str, Any]] = []
        self.scopes: list[int] = []
        self.group_id: int | None = None
        self.users: list[int] = []
        self.category_id: int | None = None
        self.templates: list[int] = []
        self.setup_problem = ""
        self.bulk_problem = ""
        self.bulk: dict[str, Any] = {}  # what the bulk set-up did, for the JSON report
        self.posted: list[int] = []
        self.fanned_out: int | None = None  # notifications of the last posted event, once settled

    # --- Set-up through the API -------------------------------------------------------------------

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.call("POST", path, json=body)
        if response.status_code != 201:
            raise SetupError(f"POST {path}: {status_text(response)}")
        return response.json()

    def event_body(self, scope: int, level: str, moment: dt.datetime, source: str) -> dict[str, Any]:
        return {
            "timestamp": stamp(moment),
            "level": level,
            "campaign_scope_id": scope,
            "category_id": self.category_id,
            "source": source,
        }

    def set_up(self) -> None:
        try:
            for letter in "ab":
                campaign = self.create(
                    "/campaigns/", {"name": f"bench-ev-{self.suffix}-{letter}", "timezone": "UTC"}
                )
                self.campaigns.append(campaign)
                self.scopes.append(
                    self.create("/campaign_scopes/", {"name": "bench", "campaign_id": campaign["id"]})["id"]
                )
            categories = self.api.call("GET", "/event_categories/")
            if categories.status_code != 200:
                raise SetupError(f"GET /event_categories/: {status_text(categories)}")
            self.category_id = next(c["id"] for c in categories.json() if c["name"] == "Data missing")
            # Templates of the bulk rows, made before any user can be notified of them
            for scope in self.scopes:
                for k, level in enumerate(LEVELS):
                    body = self.event_body(
                        scope, level, TEMPLATE_TIME + dt.timedelta(minutes=k), f"bench-template-{self.suffix}"
                    )
                    self.templates.append(self.create("/events/", body)["id"])
            self.group_id = self.create("/user_groups/", {"name": f"bench-ev-{self.suffix}"})["id"]
            self.create(
                "/user_groups_by_campaign_scopes/",
                {"campaign_scope_id": self.scopes[0], "user_group_id": self.group_id},
            )
            self.create(
                "/user_groups_by_campaigns/",
                {"campaign_id": self.campaigns[0]["id"], "user_group_id": self.group_id},
            )
            say(f"creating {self.options.users} users through the API...")
            for k in range(self.options.users):
                user = self.create(
                    "/users/",
                    {
                        "name": f"bench-{k}",
                        "email": f"bench-{self.suffix}-{k}@example.com",
                        "password": f"bench-{self.suffix}",
                    },
                )
                self.users.append(user["id"])
                self.create("/users_by_user_groups/", {"user_id": user["id"], "user_group_id": self.group_id})
        except SetupError as exc:
            self.setup_problem = f"setup failed: {exc}"
            say(self.setup_problem)
        except (StopIteration, KeyError, ValueError) as exc:
            self.setup_problem = f"setup failed: unexpected answer ({type(exc).__name__}: {exc})"
            say(self.setup_problem)

    # --- Bulk set-up by SQL -----------------------------------------------------------------------

    def load_bulk(self) -> None:
        if self.setup_problem:
            self.bulk_problem = self.setup_problem
            return
        if not self.options.database_url:
            self.bulk_problem = "no database URL for the bulk set-up (--database-url)"
            return
        try:
            # Two template notifications of the first user, one per campaign
            first_user = self.users[0]
            notification_templates = tuple(
                self.create(
                    "/notifications/",
                    {
                        "user_id": first_user,
                        "event_id": self.templates[event_index(scope_index, LEVELS.index("WARNING"))],
                        "timestamp": stamp(TEMPLATE_TIME),
                        "read": False,
                    },
                )["id"]
                for scope_index in (0, 1)
            )
        except SetupError as exc:
            self.bulk_problem = f"bulk set-up failed: {exc}"
            say(self.bulk_problem)
            return
        from bench_bulk import connect, insert_events, insert_notifications

        try:
            with connect(self.options.database_url) as connection:
                say(f"inserting {self.options.events:,} events by SQL...")
                table, took = insert_events(
                    connection, self.templates, self.options.events, BULK_START, self.bulk_source
                )
                self.bulk |= {"events_table": table, "events_s": round(took, 1)}
                count = max(0, self.options.notifications - 2)  # the 2 templates complete the count
                say(f"inserting {count:,} notifications by SQL...")
                table, took = insert_notifications(
                    connection, self.scopes[0], notification_templates, count, self.bulk_source
                )
                self.bulk |= {"notifications_table": table, "notifications_s": round(took, 1)}
        except Exception as exc:  # the driver's errors, a missing driver, an unknown schema
            self.bulk_problem = f"bulk set-up failed: {type(exc).__name__}: {exc}"[:200]
            say(self.bulk_problem)

    @property
    def bulk_source(self) -> str:
        return f"bench-bulk-{self.suffix}"

    # --- Figures ----------------------------------------------------------------------------------

    def record(self, key: str, measure: Callable[[], Result], problem: str = "") -> None:
        problem = problem or self.setup_problem
        if problem:
            self.results[key] = Result(detail=problem)
            return
        say(f"measuring {EVENT_FIGURES_BY_KEY[key].label}...")
        self.results[key] = _safely(measure)

    def run(self) -> dict[str, Result]:
        self.set_up()
        self.load_bulk()
        sink = self.options.mail_sink
        if sink is not None and self.campaigns:
            sink.tag = self.campaigns[0]["name"]
        self.record("events_post_fanout_p50_ms", self.fan_out_posts)
        self.record("mail_drain_per_s", self.mail_drain, self.drain_problem())
        self.record("events_page_p50_ms", self.page, self.bulk_problem)
        self.record("notifications_count_p50_ms", self.counts, self.bulk_problem)
        self.record("events_stream_latency_p50_ms", self.stream_latency)
        return self.results

    def post_warning(self, k: int) -> tuple[float, httpx.Response]:
        """POST /events/ of a WARNING event of the first scope: it notifies every user of the group."""
        body = self.event_body(
            self.scopes[0], "WARNING", POSTED_START + dt.timedelta(seconds=k), f"bench-post-{self.suffix}"
        )
        took, response = self.api.timed("POST", "/events/", json=body)
        if response.status_code == 201:
            self.posted.append(response.json()["id"])
        return took, response

    def fan_out_posts(self) -> Result:
        """Each POST on a quiet server: with the SMTP sink, the next one waits for the mails of the last."""
        latencies = []
        sink = self.options.mail_sink
        cpu: dict[str, float] = {}
        for k in range(self.options.posts):
            before = self.cpu_times()
            took, response = self.post_warning(k)
            after = self.cpu_times()
            if response.status_code != 201:
                return Result(detail=status_text(response))
            latencies.append(took)
            for who, spent in Workload.cpu_per_request(before, after, 1).items():
                cpu[who] = cpu.get(who, 0.0) + spent
            mails = len(self.posted) * len(self.users)
            if sink is not None and sink.wait_for(mails, 30)[0] < mails:
                say("warning: the mails of a posted event did not all come in 30 s; no more waiting for them")
                sink = None
        # The fan-out of the last event: at once when it is part of the POST, later when a worker does it
        settled, notified = self.wait_for_fan_out(self.posted[-1], timeout=60)
        self.fanned_out = notified
        detail = f"{len(latencies)} events, each notifying {len(self.users)} users"
        cpu = {who: round(total / len(latencies), 2) for who, total in cpu.items()}
        extra: dict[str, float] = {"fan_out_users": len(self.users), **cpu}
        wrong = False
        if notified != len(self.users):
            detail += f"; wrong: the last event notified {notified} users, not {len(self.users)}"
            wrong = True
        elif settled is not None:
            detail += f"; the last event's notifications all visible {settled * 1000:.0f} ms after its POST"
            extra["fan_out_visible_ms"] = round(settled * 1000, 1)
        detail += describe_cpu(cpu)
        return Result(round(statistics.median(latencies) * 1000, 2), detail, wrong=wrong, extra=extra)

    def cpu_times(self) -> dict[str, float | None]:
        """CPU seconds used so far by the server and its embedded database (when known)."""
        return {
            "server": tree_cpu_seconds(self.server_pid) if self.server_pid else None,
            "database": tree_cpu_seconds(self.database_pid, postgres=True) if self.database_pid else None,
        }

    def notifications_of(self, event_id: int) -> int | None:
        response = self.api.call("GET", "/notifications/", params={"event_id": event_id, "page_size": 1})
        if response.status_code != 200:
            return None
        total = pagination_total(response)
        return total if total is not None else len(response.json())

    def wait_for_fan_out(self, event_id: int, timeout: float) -> tuple[float | None, int | None]:
        """Seconds from now until the event's notifications reach the users' count, and that count."""
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        notified = None
        while time.monotonic() < deadline:
            notified = self.notifications_of(event_id)
            if notified is None or notified >= len(self.users):
                break
            time.sleep(0.05)
        return (time.perf_counter() - started if notified == len(self.users) else None), notified

    def drain_problem(self) -> str:
        if self.setup_problem:
            return self.setup_problem
        if self.options.mail_sink is None:
            return "no SMTP sink: the server's mail goes elsewhere (--start-server, or --smtp-port)"
        fan_out = self.results["events_post_fanout_p50_ms"]
        if fan_out.value is None:
            return fan_out.detail or "the events were not posted"
        return ""

    def mail_drain(self) -> Result:
        """`drain_posts` events posted at once; their mails / the time from the first POST to the last mail."""
        sink = self.options.mail_sink
        before = len(self.posted) * len(self.users)
        arrived_before = sink.count()
        if arrived_before < before:
            return Result(
                detail=f"wrong: only {arrived_before:,} of the {before:,} mails of the fan-out figure came"
            )
        started = time.perf_counter()
        for k in range(self.options.drain_posts):
            _, response = self.post_warning(self.options.posts + k)
            if response.status_code != 201:
                return Result(detail=f"POST /events/: {status_text(response)}")
        expected = self.options.drain_posts * len(self.users)
        arrived, last = sink.wait_for(before + expected, self.options.drain_timeout)
        arrived -= arrived_before
        if arrived <= 0 or last is None:
            return Result(detail=f"no mail arrived in {self.options.drain_timeout:.0f} s (of {expected:,})")
        elapsed = last - started
        detail = (
            f"{arrived:,} mails of {self.options.drain_posts} events in {elapsed:.1f} s,"
            " from the first POST to the last mail"
        )
        if arrived < expected:
            detail = f"wrong: only {arrived:,} of {expected:,} mails in {self.options.drain_timeout:.0f} s"
        extra = {"mails": arrived, "other_mails": sink.others}
        return Result(round(arrived / elapsed, 1), detail, wrong=arrived < expected, extra=extra)

    # The page of 100 events out of the bulk ones: the middle fifth of their time range
    def window(self) -> tuple[int, int]:
        count = self.options.events
        return count * 2 // 5, count * 3 // 5

    def page_params(self) -> dict[str, Any]:
        first, last = self.window()
        return {
            "campaign_id": self.campaigns[0]["id"],
            "level_min": LEVEL_MIN,
            "timestamp_min": stamp(BULK_START + dt.timedelta(seconds=STEP_SECONDS * first)),
            "timestamp_max": stamp(BULK_START + dt.timedelta(seconds=STEP_SECONDS * last)),
            "page_size": 100,
        }

    def check_page(self, response: httpx.Response) -> str:
        first, last = self.window()
        expected = expected_page_total(self.options.events, first, last, LEVELS.index(LEVEL_MIN))
        events = response.json()
        low = BULK_START + dt.timedelta(seconds=STEP_SECONDS * first)
        high = BULK_START + dt.timedelta(seconds=STEP_SECONDS * last)
        if len(events) != min(100, expected):
            return f"wrong: {len(events)} events in the page, not {min(100, expected)}"
        for event in events:
            moment = dt.datetime.fromisoformat(event["timestamp"])
            if event["campaign_scope_id"] != self.scopes[0]:
                return f"wrong: event {event['id']} is of scope {event['campaign_scope_id']}"
            if LEVELS.index(event["level"]) < LEVELS.index(LEVEL_MIN):
                return f"wrong: event {event['id']} is {event['level']}"
            if not low <= moment <= high:
                return f"wrong: event {event['id']} is at {event['timestamp']}"
        total = pagination_total(response)
        if total is not None and total != expected:
            return f"wrong: X-Pagination total {total:,}, not {expected:,}"
        return ""

    def page(self) -> Result:
        return self.median_get(
            "/events/", self.page_params(), self.check_page, "100 of {total} matching events"
        )

    def listed(self, user: int, campaign: int) -> int | None:
        """How many notifications GET /notifications/ lists for the user in the campaign (X-Pagination)."""
        params = {"user_id": user, "campaign_id": campaign, "page_size": 1}
        response = self.api.call("GET", "/notifications/", params=params)
        return pagination_total(response) if response.status_code == 200 else None

    def check_counts(self, response: httpx.Response) -> str:
        """Each campaign's count must be what the list holds, and at least what the benchmark made: the
        bulk half, plus in the first campaign the posted events. More is right when the list has them too:
        the reference notifies a group's users of events of any scope, and its fan-out runs later, so
        the templates' fan-out may find the users already in the group."""
        body = response.json()
        counts = {row["campaign_id"]: row["count"] for row in body["campaigns"]}
        half = self.options.notifications // 2
        first, second = (c["id"] for c in self.campaigns)
        posted = len(self.posted) if self.fanned_out else 0  # the first user is notified of each
        made = {first: half + posted, second: self.options.notifications - half}
        for name, campaign in (("first", first), ("second", second)):
            got, listed = counts.get(campaign, 0), self.listed(self.users[0], campaign)
            if listed is not None and got != listed:
                return f"wrong: {got} notifications in the {name} campaign, where the list holds {listed}"
            if got < made[campaign] or (listed is None and got != made[campaign]):
                return f"wrong: {got} notifications in the {name} campaign, not {made[campaign]}"
        if body["total"] != sum(counts.values()):
            return f"wrong: total {body['total']} is not the sum of the campaigns' counts"
        return ""

    def counts(self) -> Result:
        params = {"user_id": self.users[0]}
        return self.median_get(
            "/notifications/count_by_campaign", params, self.check_counts, "{total} notifications of one user"
        )

    def median_get(
        self, path: str, params: dict[str, Any], check: Callable[[httpx.Response], str], describe: str
    ) -> Result:
        latencies = []
        response = None
        before = self.cpu_times()
        for _ in range(self.options.requests):
            took, response = self.api.timed("GET", path, params=params)
            if response.status_code != 200:
                return Result(detail=status_text(response))
            latencies.append(took)
        cpu = Workload.cpu_per_request(before, self.cpu_times(), len(latencies))
        assert response is not None
        problem = check(response)
        total = pagination_total(response)
        if total is None and path.endswith("count_by_campaign"):
            total = response.json().get("total")
        detail = problem or describe.format(total=f"{total:,}" if total is not None else "?")
        detail += f"; {len(latencies)} requests, first {latencies[0] * 1000:.1f} ms" + describe_cpu(cpu)
        extra = {"first_ms": round(latencies[0] * 1000, 2), **cpu}
        return Result(round(statistics.median(latencies) * 1000, 2), detail, wrong=bool(problem), extra=extra)

    # --- The live stream --------------------------------------------------------------------------

    def stream_latency(self) -> Result:
        listener = StreamListener(self.api, "/events/stream", {"campaign_id": self.campaigns[0]["id"]})
        listener.start()
        try:
            status = listener.wait_connected(10)
            if status != 200:
                return Result(detail=f"HTTP {status}" if status else "the stream did not answer in 10 s")
            time.sleep(0.2)  # the subscription is made once the headers are sent; let it settle
            latencies, after_response, posts, missed = [], [], [], 0
            for k in range(self.options.stream_posts):
                body = self.event_body(  # INFO: nobody is notified, no mail is sent
                    self.scopes[0], "INFO", POSTED_START + dt.timedelta(hours=1, seconds=k), "bench-stream"
                )
                sent = time.perf_counter()
                response = self.api.call("POST", "/events/", json=body)
                answered = time.perf_counter()
                if response.status_code != 201:
                    return Result(detail=f"POST /events/: {status_text(response)}")
                posts.append(answered - sent)
                arrived = listener.wait_for(response.json()["id"], 5)
                if arrived is None:
                    missed += 1
                    continue
                latencies.append(arrived - sent)
                after_response.append(arrived - answered)
                time.sleep(0.05)
        finally:
            listener.stop()
        if not latencies:
            return Result(detail=f"none of the {self.options.stream_posts} events came on the stream in 5 s")
        detail = (
            f"{len(latencies)} events, from sending the POST (an upper bound of the time from its commit);"
            f" from its answer: median {statistics.median(after_response) * 1000:.1f} ms;"
            f" the POSTs (nobody notified): median {statistics.median(posts) * 1000:.1f} ms"
        )
        if missed:
            detail = f"wrong: {missed} events never came on the stream; " + detail
        extra = {
            "after_response_p50_ms": round(statistics.median(after_response) * 1000, 2),
            "post_without_fan_out_p50_ms": round(statistics.median(posts) * 1000, 2),
        }
        return Result(round(statistics.median(latencies) * 1000, 2), detail, wrong=bool(missed), extra=extra)

    # --- Clean-up ---------------------------------------------------------------------------------

    def clean_up(self) -> None:
        if self.options.database_url and self.scopes:
            from bench_bulk import connect

            try:
                with connect(self.options.database_url) as connection:
                    delete_rows(connection, self.scopes, self.users)
            except Exception as exc:  # leave the rest to the API
                say(f"warning: could not delete the bulk rows: {type(exc).__name__}: {exc}"[:200])
        for campaign in self.campaigns:
            self.delete(f"/campaigns/{campaign['id']}")
        for user in self.users:
            self.delete(f"/users/{user}")
        if self.group_id is not None:
            self.delete(f"/user_groups/{self.group_id}")

    def delete(self, path: str) -> None:
        try:
            response = self.api.call("DELETE", path, headers={"If-Match": "*"})
        except httpx.HTTPError as exc:  # a clean-up problem must not lose the figures
            say(f"warning: DELETE {path}: {type(exc).__name__}: {exc}"[:200])
            return
        if response.status_code not in (204, 404):
            say(f"warning: DELETE {path}: {status_text(response)}")

    def describe(self) -> dict[str, Any]:
        return {
            "events": self.options.events,
            "notifications": self.options.notifications,
            "users": self.options.users,
            "posts": self.options.posts,
            "drain_posts": self.options.drain_posts,
            "requests": self.options.requests,
            "stream_posts": self.options.stream_posts,
            "bulk": self.bulk or self.bulk_problem,
            "standard": {
                "events": self.options.events,
                "notifications": self.options.notifications,
                "users": self.options.users,
            }
            == STANDARD_EVENTS,
        }


class StreamListener:
    """Reads a Server-Sent Events stream in a thread and notes when each event id arrives."""

    def __init__(self, api: Api, path: str, params: dict[str, Any]) -> None:
        self.api, self.path, self.params = api, path, params
        self.status: int | None = None
        self.arrivals: dict[int, float] = {}
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._client: httpx.Client | None = None

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        self._client = self.api.new_client()
        self._client.timeout = httpx.Timeout(10, read=None)
        try:
            with self._client.stream("GET", self.path, params=self.params) as response:
                with self._changed:
                    self.status = response.status_code
                    self._changed.notify_all()
                if response.status_code != 200:
                    return
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("data:"):
                        self._note(line[5:].strip())
        except (httpx.HTTPError, RuntimeError):
            with self._changed:
                self.status = self.status or 0
                self._changed.notify_all()

    def _note(self, data: str) -> None:
        arrived = time.perf_counter()
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if isinstance(payload, dict):
            event = payload.get("event") if isinstance(payload.get("event"), dict) else payload
            if isinstance(event.get("id"), int):
                with self._changed:
                    self.arrivals.setdefault(event["id"], arrived)
                    self._changed.notify_all()

    def wait_connected(self, timeout: float) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: self.status is not None, timeout)
            return self.status

    def wait_for(self, event_id: int, timeout: float) -> float | None:
        with self._changed:
            self._changed.wait_for(lambda: event_id in self.arrivals, timeout)
            return self.arrivals.get(event_id)

    def stop(self) -> None:
        self._stop.set()
        if self._client is not None:
            self._client.close()  # ends iter_lines in the thread
        self._thread.join(5)
