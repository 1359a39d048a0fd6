"""The benchmark client's own floor: the same requests against a server that answers instantly.

Client and server share the machine's cores, so every latency includes the client's time and every
throughput is bounded by what the client can send. Measuring both against a trivial server (a
separate process answering `[]` without reading anything) tells how much of a figure is the client.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
from bench_api import Api, concurrent_gets

INSTANT_SERVER = r"""
import asyncio, sys
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]"
async def answer(reader, writer):
    buffer = b""
    try:
        while chunk := await reader.read(65536):
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                buffer = buffer.split(b"\r\n\r\n", 1)[1]
                writer.write(ANSWER)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def calibrate(token_length: int, requests: int, clients: int, seconds: float) -> dict[str, Any]:
    """Median latency of `requests` GETs and throughput of `clients` threads against the instant server."""
    process = subprocess.Popen(
        [sys.executable, "-c", INSTANT_SERVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        watchdog = threading.Timer(30, process.kill)  # a server that never says its port is killed
        watchdog.start()
        port = int(process.stdout.readline())  # "" (ValueError) if it died
        watchdog.cancel()
        api = Api(f"http://127.0.0.1:{port}", "", "", timeout=30)
        api.http.headers["Authorization"] = "Bearer " + "x" * token_length  # as heavy as the real ones
        latencies = [api.timed("GET", "/users/")[0] for _ in range(requests)]
        statuses, elapsed = concurrent_gets(
            api.new_client, "/timeseries/", {"campaign_id": 1}, clients, seconds
        )
        api.close()
    finally:
        process.terminate()
        process.wait(10)
    return {
        "client_median_ms": round(statistics.median(latencies) * 1000, 2),
        f"client_concurrent{clients}_req_per_s": round(statuses[200] / elapsed, 1),
    }


def timed_calibration(token_length: int, quick: bool, clients: int) -> dict[str, Any]:
    """The floor, or the reason it could not be measured (it never stops the benchmark)."""
    started = time.monotonic()
    try:
        figures = calibrate(token_length, 50 if quick else 200, clients, 1.0 if quick else 3.0)
    except (OSError, ValueError, subprocess.SubprocessError, httpx.HTTPError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:160]}
    return figures | {"duration_s": round(time.monotonic() - started, 1)}
