"""Runs the shell examples of a Markdown page against the app, so that the documentation cannot drift.

A page's ```sh blocks are read in order as one session:
- `curl ...` (backslash continuations; -s -i -L -X -H -d --data-binary @file -F field=@file -u
  -G --data-urlencode) is sent to the app; `http://127.0.0.1:8000` is the app;
- the `# ...` comment lines right after a curl command are its expected output: JSON is compared
  loosely (the expected keys must be there; ids and `...` in a string match anything; `,...` ends a
  shortened object or list), other text line by line (`...` matches anything);
- `NAME=value  # the "field"` sets $NAME from the last JSON answer's field; `# the ETag header`
  from the last answer's ETag; other assignments are kept as written;
- `cat > FILE <<'EOF'` ... `EOF` writes a file; `iconv -f A -t B IN > OUT` re-encodes one;
- other lines (`bemserver ...`, `python3 ...`) and `curl -N` (endless streams) are documentation only.
`<printed password>` is the password of the page's admin.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

BASE = "http://127.0.0.1:8000"
_IDS = re.compile(r"^(id|.*_id)$")


@dataclass
class Session:
    client: httpx.AsyncClient
    password: str
    variables: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    last: httpx.Response | None = None
    ran: int = 0


def blocks(markdown: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(
        r"\$(?:\{([A-Z_][A-Z0-9_]*)\}|([A-Z_][A-Z0-9_]*))",
        lambda m: (
            variables.get(m.group(1) or m.group(2), m.group(0)).replace("\\", "\\\\").replace('"', '\\"')
        ),
        text,
    )


async def run_page(session: Session, markdown: str) -> None:
    for block in blocks(markdown):
        await run_block(session, block)


async def run_block(session: Session, block: str) -> None:
    lines = block.splitlines()
    position = 0
    while position < len(lines):
        line = lines[position]
        position += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        heredoc = re.match(r"cat > (\S+) <<'?EOF'?$", stripped)
        if heredoc:
            end = lines.index("EOF", position)
            session.files[heredoc.group(1)] = ("\n".join(lines[position:end]) + "\n").encode()
            position = end + 1
            continue
        iconv = re.match(r"iconv -f (\S+) -t (\S+) (\S+) > (\S+)$", stripped)
        if iconv:
            source, target, src, dst = iconv.groups()
            session.files[dst] = session.files[src].decode(source).encode(target)
            continue
        assignment = re.match(r"([A-Z_][A-Z0-9_]*)=(\S+)\s*(?:#(.*))?$", stripped)
        if assignment:
            _assign(session, *assignment.groups())
            continue
        if not stripped.startswith("curl "):
            continue
        command = stripped
        while command.endswith("\\"):
            command = command[:-1] + " " + lines[position].strip()
            position += 1
        expected = []
        while position < len(lines) and lines[position].startswith("# "):
            expected.append(lines[position][2:])
            position += 1
        if " -N " in f" {command} ":  # an endless stream (Server-Sent Events): not run
            continue
        response = await curl(session, _expand(command, session.variables))
        session.last = response
        session.ran += 1
        if expected:
            check(response, expected, command)


def _assign(session: Session, name: str, value: str, comment: str | None) -> None:
    source = re.search(r'the (?:new )?"([a-z_]+)"', comment or "")
    if source and session.last is not None:
        session.variables[name] = str(session.last.json()[source.group(1)])
    elif comment and "ETag header" in comment and session.last is not None:
        session.variables[name] = session.last.headers["etag"]
    else:
        session.variables[name] = value.strip("'\"")


async def curl(session: Session, command: str) -> httpx.Response:
    words = shlex.split(command.replace("<printed password>", session.password))[1:]
    method, url, headers = None, None, {}
    data: list[str] = []
    body: bytes | None = None
    files: dict[str, tuple[str, bytes, str]] = {}
    get, follow, form_encoded = False, False, []
    auth = None
    while words:
        word = words.pop(0)
        if word in ("-s", "-i", "-sS", "-f", "--fail"):
            continue
        if word == "-L":
            follow = True
        elif word == "-G":
            get = True
        elif word == "-X":
            method = words.pop(0)
        elif word == "-H":
            name, _, value = words.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-binary", "--data-raw"):
            value = words.pop(0)
            if value.startswith("@") and word != "--data-raw":
                body = session.files[value[1:]]
                if word != "--data-binary":  # -d @file drops line breaks, as curl does
                    body = body.replace(b"\r", b"").replace(b"\n", b"")
            else:
                data.append(value)
        elif word == "--data-urlencode":
            form_encoded.append(words.pop(0))
        elif word == "-F":
            name, _, value = words.pop(0).partition("=")
            files[name] = (value[1:], session.files[value[1:]], "text/csv")
        elif word == "-u":
            user, _, password = words.pop(0).partition(":")
            auth = (user, password)
        else:
            url = word
    assert url is not None and url.startswith(BASE), command
    path = url[len(BASE) :]
    if body is None and data:
        body = "&".join(data).encode()
    params = None
    if get:
        params = [tuple(item.split("=", 1)) for item in [*data, *form_encoded]]
        body = None
    elif form_encoded:
        body = "&".join(
            f"{name}={httpx.QueryParams({name: value})[name]}"
            for name, value in (item.split("=", 1) for item in form_encoded)
        ).encode()
    if body is not None and "Content-Type" not in headers:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    method = method or ("POST" if (body is not None or files) else "GET")
    return await session.client.request(
        method,
        path,
        params=params,
        content=body,
        files=files or None,
        headers=headers,
        auth=auth,
        follow_redirects=follow,
    )


def _loose_json(text: str) -> Any:
    text = re.sub(r",\s*\.\.\.\s*([}\]])", r"\1", text)
    return orjson.loads(text)


def matches(expected: Any, actual: Any, key: str = "") -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            name in actual and matches(value, actual[name], name) for name, value in expected.items()
        )
    if isinstance(expected, list):  # the expected items, in order, among the actual ones
        if not isinstance(actual, list):
            return False
        rest = iter(actual)
        return all(any(matches(item, candidate) for candidate in rest) for item in expected)
    if _IDS.match(key) and isinstance(expected, int):
        return isinstance(actual, int)
    if isinstance(expected, str) and "..." in expected:
        pattern = ".*".join(re.escape(part) for part in expected.split("..."))
        return isinstance(actual, str) and re.fullmatch(pattern, actual, re.DOTALL) is not None
    return expected == actual


def check(response: httpx.Response, expected: list[str], command: str) -> None:
    first = expected[0]
    status = re.fullmatch(r"(\d{3})( .*)?", first)
    if status:  # "# 201" or "# 428 ..." then the body
        assert response.status_code == int(status.group(1)), (command, response.status_code, response.text)
        expected = expected[1:]
        if not expected:
            return
    text = "\n".join(expected)
    if text.lstrip().startswith(("{", "[")) or text in ("null",):
        wanted = _loose_json(text)
        got = response.json()
        assert matches(wanted, got), f"{command}\nexpected {text}\ngot      {response.text}"
        return
    lines = response.text.splitlines()
    assert len(lines) >= len(expected), (command, response.text)
    for want, got in zip(expected, lines, strict=False):
        pattern = ".*".join(re.escape(part) for part in want.split("..."))
        assert re.fullmatch(pattern, got), f"{command}\nexpected {want!r}\ngot      {got!r}"


def page(name: str) -> str:
    return (Path(__file__).resolve().parent.parent / name).read_text()
