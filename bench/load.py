"""Request and tick benches of issue 11: signed `/discovery list` slash commands over loopback,
to `discovery-bot serve --no-scheduler` and to the bare Bolt app (bench/bare_bolt.py), in the
same run, against the loopback fake of Slack's Web API.

    .venv/bin/python bench/load.py requests            # both servers, prints "ours vs bare Bolt"
    .venv/bin/python bench/load.py tick --database sqlite:////tmp/bench/big.db

`requests` seeds a fresh SQLite file (bench/seed.py: one team, 30 open questions with history)
unless --database names one, starts the fake Slack in a child process (so its threads do not
share the load generator's GIL), then for each server:
  - warm-up: 50 lists;
  - closed loop: --requests lists at concurrency 20, each worker (a user) sending its next
    request once the answer to the previous one reached the fake's response_url.
    Ack = HTTP answer of POST /slack/events; e2e = until the response_url POST reaches the
    fake; CPU per request = the server's utime+stime (/proc/<pid>/stat) over the phase,
    until every answer arrived, divided by the requests;
  - open loop: a rate sweep (--rates, --seconds each, stops at the first rate whose ack p99
    reaches 250 ms), then --goal-rate for --goal-seconds: ack p99, e2e p99 and how many were
    late (ack over 3 s or failed: Slack shows the user an error) or answered over 3 s;
  - RSS of the server process, sampled every 0.2 s.
Every request is signed with the test signing secret and goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
# The app's code to measure: this checkout, or BENCH_CODE (e.g. a `git archive` of another
# commit, so that a run measures that commit and not edits in progress in the working tree).
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(CODE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(CODE))

import aiohttp  # noqa: E402

from bot.sandbox.fake_slack import BOT_TOKEN  # noqa: E402
from bot.sandbox.requests import SIGNING_SECRET, sign  # noqa: E402

BIN = Path(sys.executable).parent / "discovery-bot"
TEAM = "TBENCH"
OWNER = f"U{TEAM}1"
NORMAL = 0.25  # e2e of a lone list on a server back to normal
BUSY = b"Try again in a moment"  # prompts/help.j2 busy: the answer of an overloaded server
CLK = os.sysconf("SC_CLK_TCK")
SLACK_TIMEOUT = 3.0
ACK_GOAL = 0.250


# -- the fake Slack, in its own process ------------------------------------------------------
def _fake_main(conn, arrivals) -> None:
    """Child process: the loopback fake. Each response_url POST is stamped with the
    system-wide monotonic clock on arrival and reported by its id; the fake does not keep
    those (a long bench would grow its call list) nor check their blocks (the bench measures
    the server, not slack_sdk's Block Kit models). Web API methods go to the fake as is."""
    import http.server

    from bot.sandbox.fake_slack import FakeSlack

    # socketserver listens with a backlog of 5: a burst of response_url connections would
    # overflow it and wait for the 1 s SYN retry, a delay of the fake, not of the app.
    http.server.ThreadingHTTPServer.request_queue_size = 1024
    fake = FakeSlack()
    original = fake.answer

    def answer(method, args, token):
        if method == "response_url":
            arrivals.put((int(args["_url"].rsplit("/", 1)[1]), time.monotonic()))
            return 200, {"ok": True}
        with fake._cond:
            del fake.calls[:-100]
        return original(method, args, token)

    fake.answer = answer
    fake.start()
    conn.send(fake.url)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


def _resolve(future: asyncio.Future, t: float) -> None:
    if not future.done():
        future.set_result(t)


class Fake:
    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.arrivals: mp.Queue = ctx.Queue()
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_fake_main, args=(child, self.arrivals), daemon=True)
        self.process.start()
        self.url = parent.recv()
        self.api_url = f"{self.url}/api/"
        self.seen: dict[int, float] = {}
        self.waiters: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            rid, t = self.arrivals.get()
            with self._lock:
                self.seen[rid] = t
                waiter = self.waiters.pop(rid, None)
            if waiter is not None:
                loop, future = waiter
                loop.call_soon_threadsafe(_resolve, future, t)

    def new_id(self) -> int:
        return next(self._ids)

    def answered(self, rid: int) -> asyncio.Future:
        """A future of the instant the answer to `rid` reaches the fake."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            if rid in self.seen:
                future.set_result(self.seen[rid])
            else:
                self.waiters[rid] = (loop, future)
        return future

    def response_url(self, rid: int) -> str:
        return f"{self.url}/response/{rid}"

    def wait(self, ids: list[int], timeout: float) -> dict[int, float]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = {i: self.seen[i] for i in ids if i in self.seen}
            if len(found) == len(ids) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


# -- servers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(fake: Fake, database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
    )
    return env


@contextlib.contextmanager
def server(name: str, fake: Fake, database_url: str, logdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = env_for(fake, database_url, port)
    if name == "ours":
        argv = [str(BIN), "serve", "--no-scheduler", "--host", "127.0.0.1"]
    else:
        argv = [sys.executable, str(ROOT / "bench" / "bare_bolt.py")]
    log = (logdir / f"{name}.log").open("w")
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=CODE)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() - started > 60:
            process.kill()
            raise SystemExit(f"{name} did not start: see {logdir / f'{name}.log'}")
        time.sleep(0.05)
    print(f"  {name}: pid {process.pid}, ready in {time.monotonic() - started:.2f} s", flush=True)
    try:
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime (fields 14 and 15)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                self.samples.append((time.monotonic(), rss_mb(self.pid)))
            self._stop.wait(self.every)

    def peak(self, since: float = 0.0) -> float:
        return max((m for t, m in self.samples if t >= since), default=0.0)

    def stop(self) -> None:
        self._stop.set()


# -- the load ----------------------------------------------------------------------------------
def list_command(
    fake: Fake, rid: int, team: str = TEAM, user: str = OWNER, text: str = "list"
) -> tuple[bytes, dict[str, str]]:
    form = {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": "C1",
        "channel_name": "product",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/discovery",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": fake.response_url(rid),
        "trigger_id": f"trigger.{rid}",
    }
    body = urlencode(form).encode()
    ts = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts),
    }
    return body, headers


@dataclass
class Sent:
    rid: int
    t0: float
    ack: float | None = None  # seconds; None when it failed
    status: int = 0
    busy: bool = False  # answered "busy, try again" in the ack: no answer follows


@dataclass
class Phase:
    name: str
    sent: list[Sent] = field(default_factory=list)
    e2e: list[float] = field(default_factory=list)
    missing: int = 0
    cpu: float = 0.0
    wall: float = 0.0
    rss_peak: float = 0.0

    @property
    def acks(self) -> list[float]:
        return [s.ack for s in self.sent if s.ack is not None and s.status == 200]

    @property
    def failed(self) -> int:
        return sum(1 for s in self.sent if s.ack is None or s.status != 200)

    @property
    def late(self) -> int:
        return self.failed + sum(1 for a in self.acks if a >= SLACK_TIMEOUT)

    @property
    def busy(self) -> int:
        return sum(s.busy for s in self.sent)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def send_one(
    http: aiohttp.ClientSession,
    url: str,
    fake: Fake,
    out: list[Sent],
    wait: bool = False,
    command: dict | None = None,
) -> None:
    """One signed command (`command`: list_command's team, user, text; default the small
    team's list); with `wait`, returns once its answer reached the fake (or 30 s)."""
    rid = fake.new_id()
    body, headers = list_command(fake, rid, **(command or {}))
    answered = fake.answered(rid) if wait else None
    s = Sent(rid, time.monotonic())
    out.append(s)
    try:
        async with http.post(url + "/slack/events", data=body, headers=headers) as r:
            said = await r.read()
            s.status = r.status
            s.ack = time.monotonic() - s.t0
            s.busy = BUSY in said
    except (TimeoutError, aiohttp.ClientError):
        s.ack = None
    if answered is not None and s.ack is not None and not s.busy:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(answered, 30)


async def closed_loop(
    http, url: str, fake: Fake, n: int, concurrency: int, command: dict | None = None
) -> list[Sent]:
    """`concurrency` users, each sending the next list once the answer to the previous one
    reached Slack (waiting for the ack only would let the work after the ack pile up)."""
    out: list[Sent] = []
    left = itertools.count()

    async def worker() -> None:
        while next(left) < n:
            await send_one(http, url, fake, out, wait=True, command=command)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


async def open_loop(http, url: str, fake: Fake, rate: float, seconds: float) -> list[Sent]:
    out: list[Sent] = []
    tasks = []
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send_one(http, url, fake, out)))
    await asyncio.gather(*tasks)
    return out


def finish(phase: Phase, fake: Fake, pid: int, cpu0: float, t0: float, wait: float) -> Phase:
    ids = [s.rid for s in phase.sent if s.ack is not None and not s.busy]
    found = fake.wait(ids, wait)
    by_id = {s.rid: s for s in phase.sent}
    phase.e2e = [found[i] - by_id[i].t0 for i in found]
    phase.missing = len(ids) - len(found) + phase.failed
    phase.cpu = cpu_seconds(pid) - cpu0
    phase.wall = time.monotonic() - t0
    return phase


def describe(p: Phase) -> str:
    return (
        f"    {p.name:<22} n={len(p.sent):5d} ack p50/p99 {pct(p.acks, 50) * 1e3:7.1f}/"
        f"{pct(p.acks, 99) * 1e3:7.1f} ms  e2e p50/p99 {pct(p.e2e, 50) * 1e3:8.1f}/"
        f"{pct(p.e2e, 99) * 1e3:8.1f} ms  late {p.late}  busy {p.busy}  unanswered {p.missing}  "
        f"cpu/req {p.cpu / max(1, len(p.sent)) * 1e3:5.2f} ms  rss peak {p.rss_peak:5.0f} MB  "
        f"({p.wall:.1f} s)"
    )


async def bench_server(name: str, url: str, pid: int, fake: Fake, args) -> dict:
    rss = RssSampler(pid)
    result: dict = {"rss_ready": rss_mb(pid)}
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

        async def phase(label: str, coro_factory, wait: float) -> Phase:
            t0, cpu0 = time.monotonic(), cpu_seconds(pid)
            p = Phase(label, await coro_factory())
            await asyncio.to_thread(finish, p, fake, pid, cpu0, t0, wait)
            p.rss_peak = max(rss.peak(t0), rss_mb(pid))
            print(describe(p), flush=True)
            return p

        await phase("warm-up", lambda: closed_loop(http, url, fake, 50, 10), 30)
        result["rss_warm"] = rss_mb(pid)
        result["closed"] = await phase(
            f"closed c={args.concurrency}",
            lambda: closed_loop(http, url, fake, args.requests, args.concurrency),
            60,
        )
        best = None
        for rate in args.rates[name]:
            p = await phase(
                f"open {rate}/s x{args.seconds:g}s",
                lambda rate=rate: open_loop(http, url, fake, rate, args.seconds),
                60,
            )
            # Served in full: acked in time, and nothing answered "busy" instead.
            if pct(p.acks, 99) >= ACK_GOAL or p.failed or p.busy:
                break
            best = rate
        result["best_rate"] = best
        result["goal"] = await phase(
            f"open {args.goal_rate}/s x{args.goal_seconds:g}s",
            lambda: open_loop(http, url, fake, args.goal_rate, args.goal_seconds),
            args.drain,
        )
        if name == "ours":
            result["overload"] = await overload(http, url, pid, fake, args, best, rss)
        await asyncio.sleep(1)
        result["rss_end"] = rss_mb(pid)
        result["rss_peak"] = rss.peak()
    rss.stop()
    return result


async def overload(http, url: str, pid: int, fake: Fake, args, best: int | None, rss) -> dict:
    """3x the highest rate the sweep sustained, for `--overload-seconds`; then one list at a
    time until one is answered (not "busy") within NORMAL e2e: the seconds that takes after
    the load's last send are "back to normal"."""
    rate = 3 * (best or args.rates["ours"][0])
    t0, cpu0 = time.monotonic(), cpu_seconds(pid)
    sent = await open_loop(http, url, fake, rate, args.overload_seconds)
    stopped = t0 + args.overload_seconds
    normal = None
    while normal is None and time.monotonic() - stopped < 60:
        probe: list[Sent] = []
        await send_one(http, url, fake, probe, wait=True)
        (s,) = probe
        answered = fake.seen.get(s.rid)
        if s.ack is not None and not s.busy and answered and answered - s.t0 < NORMAL:
            normal = time.monotonic() - stopped
        else:
            await asyncio.sleep(0.1)
    p = Phase(f"overload {rate}/s x{args.overload_seconds:g}s", sent)
    await asyncio.to_thread(finish, p, fake, pid, cpu0, t0, args.drain)
    p.rss_peak = max(rss.peak(t0), rss_mb(pid))
    print(describe(p) + f"  back to normal {normal if normal is None else round(normal, 1)} s")
    return {"phase": p, "rate": rate, "normal": normal}


def span(values: list[float], fmt: str = "{:.0f}") -> str:
    """One round's figure, or the range over rounds ("171-178")."""
    values = [v for v in values if v == v]  # drop NaN
    if not values:
        return "-"
    lo, hi = fmt.format(min(values)), fmt.format(max(values))
    return lo if lo == hi else f"{lo}-{hi}"


def table(res: dict[str, list[dict]], args) -> str:
    def col(name: str) -> list[str]:
        rounds = res.get(name) or []
        if not rounds:
            return ["-"] * 10
        c = [r["closed"] for r in rounds]
        g = [r["goal"] for r in rounds]

        def acks(p: float, phases: list[Phase]) -> str:
            return span([pct(x.acks, p) * 1e3 for x in phases])

        def e2e(p: float, phases: list[Phase]) -> str:
            return span([pct(x.e2e, p) * 1e3 for x in phases])

        top = max(args.rates[name])
        best = [r["best_rate"] for r in rounds]
        best_s = (
            ", ".join(
                f"below {args.rates[name][0]}" if b is None else f"{b}+" if b == top else str(b)
                for b in best
            )
            + " req/s"
        )
        cpu = [x.cpu / max(1, len(x.sent)) * 1e3 for x in c]
        return [
            f"{acks(50, c)} / {acks(99, c)} ms",
            f"{e2e(50, c)} / {e2e(99, c)} ms",
            f"{span(cpu, '{:.2f}')} ms",
            best_s,
            f"{acks(99, g)} / {e2e(99, g)} ms",
            f"{span([x.late for x in g])} late; "
            f"{span([sum(e > SLACK_TIMEOUT for e in x.e2e) for x in g])}"
            f" answered > 3 s; {span([x.busy for x in g])} busy; {span([x.missing for x in g])}"
            f" unanswered (of {len(g[0].sent)})",
            f"{span([r['rss_warm'] for r in rounds])} -> {span([r['rss_peak'] for r in rounds])}"
            f" -> {span([r['rss_end'] for r in rounds])} MB",
            span([r["load"] for r in rounds], "{:.1f}"),
            *overloaded(rounds),
        ]

    def overloaded(rounds: list[dict]) -> list[str]:
        if "overload" not in rounds[0]:
            return ["-", "-"]
        o = [r["overload"] for r in rounds]
        ps = [x["phase"] for x in o]
        return [
            f"{span([x['rate'] for x in o])} req/s: ack p99 "
            f"{span([pct(p.acks, 99) * 1e3 for p in ps])} ms, {span([p.late for p in ps])} late, "
            f"{span([p.busy for p in ps])} busy, "
            f"{span([len(p.e2e) for p in ps])} answered (e2e p99 "
            f"{span([pct(p.e2e, 99) * 1e3 for p in ps])} ms), {span([p.missing for p in ps])} "
            f"unanswered (of {span([len(p.sent) for p in ps])}); RSS peak "
            f"{span([p.rss_peak for p in ps])} MB",
            " / ".join("over 60 s" if x["normal"] is None else f"{x['normal']:.1f} s" for x in o),
        ]

    rows = [
        f"`/discovery list` (30 questions), concurrency {args.concurrency}, "
        f"{args.requests} requests: ack p50 / p99",
        "same, until the answer reaches Slack (e2e) p50 / p99",
        "CPU per request (server process)",
        f"highest open-loop rate served in full: ack p99 < 250 ms, none answered busy "
        f"({args.seconds:g} s steps), each round",
        f"open loop {args.goal_rate} req/s for {args.goal_seconds:g} s: ack p99 / e2e p99",
        "same: late (ack >= 3 s or failed), answers > 3 s after the send, answered busy, "
        "unanswered",
        "RSS: after warm-up -> peak -> 1 s after the last phase",
        "machine load average (1 min) at the end of the server's round",
        f"overload: 3x the highest rate for {args.overload_seconds:g} s",
        f"back to normal (a list answered within {NORMAL * 1e3:.0f} ms) after the load stops",
    ]
    ours, bare = col("ours"), col("bare")
    lines = ["| | ours | bare Bolt |", "|---|---|---|"]
    lines += [f"| {r} | {o} | {b} |" for r, o, b in zip(rows, ours, bare, strict=True)]
    return "\n".join(lines)


def cmd_requests(args) -> None:
    from seed import seed

    logdir = Path(tempfile.mkdtemp(prefix="bench-requests-"))
    database = args.database
    if database is None:
        database = f"sqlite:///{logdir / 'bench.db'}"
        print(f"seeding {database}: {seed(database)}", flush=True)
    fake = Fake()
    print(f"fake Slack at {fake.url} (pid {fake.process.pid}); logs in {logdir}", flush=True)
    results: dict[str, list[dict]] = {}
    try:
        for round_ in range(1, args.rounds + 1):
            for name in args.servers:  # alternating, so that both see the same machine
                print(f"{name}, round {round_}:", flush=True)
                with server(name, fake, database, logdir) as (url, pid):
                    r = asyncio.run(bench_server(name, url, pid, fake, args))
                r["load"] = os.getloadavg()[0]
                results.setdefault(name, []).append(r)
    finally:
        fake.stop()
    head = os.environ.get("BENCH_LABEL") or subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip() + ("" if CODE == ROOT else f" (code from {CODE})")
    print()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, commit {head}, "
          f"database {database.split(':')[0]}, {args.rounds} round(s): "
          "ranges are min-max")  # fmt: skip
    print(table(results, args))


# -- tick --------------------------------------------------------------------------------------
def idle_instant(now: datetime) -> datetime:
    """The next Monday 00:30 UTC: before any reminder (Monday 09:00), nudge or digest of a
    UTC owner, so with the seeded data (flags already told) nothing is due."""
    monday = (now + timedelta(days=7 - now.weekday())).date()
    return datetime.combine(monday, datetime.min.time(), UTC) + timedelta(minutes=30)


def cmd_tick(args) -> None:
    import sqlalchemy as sa

    from bot.config import load
    from bot.http import web_client
    from bot.scheduler import RETENTION, every_workspace, tick
    from bot.store import Store
    from cadence import members, schedule, workspaces
    from cadence.db import make_engine, normalize_database_url, session

    at = idle_instant(datetime.now(UTC))
    fake = Fake()
    try:
        for url in args.database:
            kind = url.split(":")[0]
            env = env_for(fake, url, 3000)
            walls = []
            for _ in range(args.repeat):
                t0 = time.monotonic()
                done = subprocess.run(
                    [str(BIN), "tick", "--at", at.isoformat()], env=env, capture_output=True,
                    text=True, check=False,
                )  # fmt: skip
                walls.append(time.monotonic() - t0)
                if done.returncode:
                    raise SystemExit(done.stderr)
            said = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
            print(f"{kind}: `discovery-bot tick --at {at.isoformat()}` process wall "
                  f"{' '.join(f'{w * 1e3:.0f}' for w in walls)} ms ({said.strip()})")  # fmt: skip
            t0 = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", "import bot.cli, bot.app, bot.scheduler, cadence.schedule"],
                env=env, check=False,
            )  # fmt: skip
            print(f"{kind}:   of which importing the modules (a bare `python -c import ...`): "
                  f"{(time.monotonic() - t0) * 1e3:.0f} ms")  # fmt: skip

            engine = make_engine(normalize_database_url(url))
            timings: dict[str, list[float]] = {}

            def timed(label: str, fn, *a, engine=engine, timings=timings):
                t = time.perf_counter()
                with session(engine) as s:
                    out = fn(s, *a)
                    s.rollback()
                timings.setdefault(label, []).append(time.perf_counter() - t)
                return out

            for _ in range(args.repeat):
                owners = timed("schedule.owners", schedule.owners, at)
                zones = {}

                def zones_of(s, owners=owners):
                    found = {}
                    for team, users in owners.items():
                        for u, (tz, _fresh) in members.zones(s, team, users, at).items():
                            found[(team, u)] = tz
                    return found

                zones = timed("members.zones x teams", zones_of)
                due = timed("schedule.due", schedule.due, at, zones)  # the follow-ups too
                follow = due.of(schedule.Kind.FOLLOW_UP)
                timed("workspaces.purge", workspaces.purge, at, RETENTION)
            n_due = len(due.sends) - len(follow)
            for label, ts in timings.items():
                print(f"{kind}:   in-process {label:<22} {' '.join(f'{t * 1e3:.1f}' for t in ts)}"
                      f" ms")  # fmt: skip
            total = [sum(run) for run in zip(*timings.values(), strict=True)]
            print(f"{kind}:   in-process, all of the tick's queries: "
                  f"{' '.join(f'{t * 1e3:.1f}' for t in total)} ms")  # fmt: skip
            print(
                f"{kind}:   due: {n_due} sends, {len(follow)} follow-ups; "
                f"{len(owners)} teams, {sum(map(len, owners.values()))} owners"
            )
            with engine.connect() as c:
                n = c.execute(sa.text("SELECT COUNT(*) FROM interview")).scalar_one()
                q = c.execute(
                    sa.text("SELECT COUNT(*) FROM question WHERE status='open'")
                ).scalar_one()
            print(f"{kind}:   database: {q} open questions, {n} interviews")

            os.environ.update(env)
            settings = load(requests=False)
            t0 = time.perf_counter()
            sent = asyncio.run(tick(every_workspace(web_client(settings)), Store(engine), at))
            print(
                f"{kind}:   in-process bot.scheduler.tick (Store, thread hops, users.info "
                f"none): {(time.perf_counter() - t0) * 1e3:.0f} ms, {sent.total()} sent"
            )
            engine.dispose()
    finally:
        fake.stop()


# -- scale -------------------------------------------------------------------------------------
SCALE = {  # seed.py --big: a workspace of 200 open questions, a question of 1,000 interviews
    "list, 200 questions": {"team": "TLIST", "user": "UTLIST1", "text": "list"},
    "status, 1,000 interviews": {"team": "TSTATUS", "user": "UTSTATUS1", "text": "status #1"},
}


def cmd_scale(args) -> None:
    """`list` of 200 questions and `status` of a question with 1,000 interviews, on a
    database seeded with `seed.py --big`, closed loop at each concurrency."""
    fake = Fake()
    logdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        with server("ours", fake, args.database, logdir) as (url, pid):

            async def run() -> None:
                timeout = aiohttp.ClientTimeout(total=30)
                async with aiohttp.ClientSession(timeout=timeout) as http:
                    for label, command in SCALE.items():
                        await closed_loop(http, url, fake, 20, 2, command)  # warm-up
                        for concurrency in args.concurrency:
                            t0, cpu0 = time.monotonic(), cpu_seconds(pid)
                            sent = await closed_loop(
                                http, url, fake, args.requests, concurrency, command
                            )
                            p = Phase(f"{label}, c={concurrency}", sent)
                            await asyncio.to_thread(finish, p, fake, pid, cpu0, t0, 30)
                            print(describe(p), flush=True)

            asyncio.run(run())
    finally:
        fake.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("requests", help="ours vs bare Bolt")
    r.add_argument("--database", help="a seeded database (default: a fresh SQLite file)")
    r.add_argument("--servers", nargs="+", default=["ours", "bare"], choices=["ours", "bare"])
    r.add_argument("--rounds", type=int, default=2, help="ours, bare, ours, bare, ...")
    r.add_argument("--requests", type=int, default=1000)
    r.add_argument("--concurrency", type=int, default=20)
    r.add_argument("--seconds", type=float, default=4.0, help="length of each sweep step")
    r.add_argument("--ours-rates", type=int, nargs="+", default=[30, 60, 90, 120, 150, 200, 300])
    r.add_argument("--bare-rates", type=int, nargs="+", default=[100, 200, 300, 400, 550, 700])
    r.add_argument("--goal-rate", type=int, default=300)
    r.add_argument("--goal-seconds", type=float, default=8.0)
    r.add_argument("--drain", type=float, default=120.0, help="seconds to wait for answers")
    r.add_argument("--overload-seconds", type=float, default=20.0)
    r.set_defaults(func=cmd_requests)
    t = sub.add_parser("tick", help="idle tick: process wall time and query time")
    t.add_argument("--database", nargs="+", required=True)
    t.add_argument("--repeat", type=int, default=3)
    t.set_defaults(func=cmd_tick)
    s = sub.add_parser("scale", help="list of 200 questions, status of 1,000 interviews")
    s.add_argument("--database", required=True, help="seeded with `seed.py URL --big`")
    s.add_argument("--requests", type=int, default=200)
    s.add_argument("--concurrency", type=int, nargs="+", default=[1, 5])
    s.set_defaults(func=cmd_scale)
    args = p.parse_args()
    if args.command == "requests":
        args.rates = {"ours": args.ours_rates, "bare": args.bare_rates}
    args.func(args)


if __name__ == "__main__":
    main()
