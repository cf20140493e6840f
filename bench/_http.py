"""A lean HTTP/1.1 load client on asyncio streams, for the benchmarks that load a real server.

wrk is not at hand, and httpx spends about a millisecond of CPU per request: on a small
machine the client would then be what is measured. This one keeps one connection per
worker alive and parses only what it needs (the status, ``Content-Length`` or chunked
bodies), so nearly all the CPU goes to the servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit


class Connection:
    """One keep-alive connection to ``base`` (``http://host:port``)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(status, body) of ``GET path``; reconnects once if the server closed the connection."""
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await self._get(path, headers or {})
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunks()
        else:
            body = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers are sent here
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def load(
    base: str,
    requests: int,
    concurrency: int,
    request: Callable[[int], tuple[str, dict[str, str]]],
    check: Callable[[int, int, bytes], bool],
) -> tuple[float, int]:
    """(seconds, failures) for ``requests`` GETs over ``concurrency`` kept-alive connections.

    ``request(number)`` gives the path and headers of request ``number``;
    ``check(number, status, body)`` says whether its answer is right.
    """
    numbers: Iterator[int] = iter(range(requests))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        connection = Connection(base)
        try:
            for number in numbers:
                path, headers = request(number)
                try:
                    status, body = await connection.get(path, headers)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    failures += 1
                    await connection.close()
                    continue
                failures += not check(number, status, body)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, failures


#: wrk's script: one visitor cookie per request, answers checked for ``MARKS``, totals printed.
_WRK_SCRIPT = """
local counter = 0
wrong = 0
local threads = {}
local marks = {%(marks)s}
function setup(thread) table.insert(threads, thread) end
function request()
  counter = counter + 1
  return wrk.format("GET", "%(path)s", {["Cookie"] = "who=visitor" .. (counter %% %(visitors)d)})
end
function response(status, headers, body)
  local right = status == 200
  for _, mark in ipairs(marks) do
    right = right and string.find(body, mark, 1, true) ~= nil
  end
  if not right then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("wrong") end
  io.write(string.format("DJL %%d %%f %%d %%d\\n", summary.requests,
    summary.duration / 1e6, total, summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def wrk_load(
    wrk: str,
    base: str,
    path: str,
    *,
    seconds: float,
    connections: int,
    visitors: int,
    marks: tuple[str, ...],
) -> tuple[int, float, int]:
    """(requests, seconds, wrong or failed) of ``wrk`` loading ``path`` for ``seconds``.

    Each request carries the cookie ``who=visitor<n % visitors>``; an answer is right
    when it is a 200 whose body holds every one of ``marks``.
    """
    import json
    import subprocess
    import tempfile

    # JSON's string escapes are Lua's too, for these plain ASCII marks.
    lua_marks = ", ".join(json.dumps(mark) for mark in marks)
    script = _WRK_SCRIPT % {"marks": lua_marks, "path": path, "visitors": visitors}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        command = [wrk, "-t2", f"-c{connections}", f"-d{seconds:g}s", "-s", file.name, base]
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in output.stdout.splitlines():
        if line.startswith("DJL "):
            requests, duration, wrong, errors = line.split()[1:]
            return int(requests), float(duration), int(wrong) + int(errors)
    raise RuntimeError(f"wrk gave no totals: {output.stdout[-500:]} {output.stderr[-500:]}")
