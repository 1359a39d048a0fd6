"""The HTTP client of the benchmark: httpx, logged in, re-logged in when a token expires."""

from __future__ import annotations

import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx


class SetupError(RuntimeError):
    """The benchmark cannot run at all (server down, login refused...)."""


class Api:
    """httpx on the base URL, logged in with a Bearer token (Basic when /auth/token is absent)."""

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str,
        timeout: float,
        transport: httpx.BaseTransport | None = None,  # tests give a mock one
    ) -> None:
        self.base_url, self.email, self.password = base_url, email, password
        # One TLS context for every client: httpx would load the CA bundle again for each (~0.1 s).
        self.tls = ssl.create_default_context()
        self.transport = transport
        self.http = httpx.Client(
            base_url=base_url, timeout=timeout, trust_env=False, verify=self.tls, transport=transport
        )

    def login(self) -> None:
        try:
            response = self.http.post("/auth/token", json={"email": self.email, "password": self.password})
        except httpx.HTTPError as exc:
            raise SetupError(f"cannot reach {self.base_url}: {type(exc).__name__} {exc}") from None
        if response.status_code in (404, 405):
            self.http.auth = httpx.BasicAuth(self.email, self.password)
            return
        body = response.json() if response.status_code == 200 else {}
        if body.get("status") != "success":
            raise SetupError(
                f"login refused for {self.email}: HTTP {response.status_code} {response.text[:200]}"
            )
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"

    def call(self, method: str, path: str, **options: Any) -> httpx.Response:
        response = self.http.request(method, path, **options)
        if response.status_code == 401 and "Authorization" in self.http.headers:
            self.login()  # the access token expired during a long run
            response = self.http.request(method, path, **options)
        return response

    def timed(self, method: str, path: str, **options: Any) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = self.call(method, path, **options)
        return time.perf_counter() - started, response

    def new_client(self) -> httpx.Client:
        """Another client with the same address, credentials and settings (its own connection)."""
        return httpx.Client(
            base_url=self.base_url,
            headers=dict(self.http.headers),
            auth=self.http.auth,
            timeout=self.http.timeout,
            trust_env=False,
            verify=self.tls,
            transport=self.transport,
        )

    def close(self) -> None:
        self.http.close()


def status_text(response: httpx.Response) -> str:
    message = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("errors") or "")
    except ValueError:
        pass
    return f"HTTP {response.status_code}" + (f": {message[:120]}" if message else "")


def concurrent_gets(
    make_client: Callable[[], httpx.Client], path: str, params: dict[str, Any], clients: int, seconds: float
) -> tuple[Counter[Any], float]:
    """`clients` threads, each with its own connection, GETting `path` until the time is up.

    Threads with the synchronous httpx client: on 2 cores they drive ~4 times more requests per second
    than httpx's asyncio client, so the client is less of a ceiling for the server's figure."""
    statuses: Counter[Any] = Counter()
    lock = threading.Lock()
    clock: dict[str, float] = {}

    def start_clock() -> None:  # run once all clients are ready, before any is released
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + seconds

    ready = threading.Barrier(clients, action=start_clock)

    def client() -> None:
        counted: Counter[Any] = Counter()
        with make_client() as http:
            ready.wait()  # building 16 clients takes a while: the clock starts when all are built
            while time.perf_counter() < clock["deadline"]:
                try:
                    counted[http.get(path, params=params).status_code] += 1
                except httpx.HTTPError as exc:
                    counted[type(exc).__name__] += 1
        with lock:
            statuses.update(counted)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.perf_counter()
    return statuses, ended - clock["start"]
