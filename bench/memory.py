"""Memory of a web process (issue 21): the RSS of `discovery-bot serve` (SQLite, single-token
mode, the loopback fake Slack in this process) after start, after a question is opened, after
the summary modal opened, and after its Save; with how long that first Save took to answer.

    .venv/bin/python bench/memory.py [--wait 5]
    BENCH_CODE=/tmp/before .venv/bin/python bench/memory.py      # another commit's code

`--wait`: seconds between the modal opening and its Save (a person filling it in; 0: at once,
the Save then waits for whatever the modal started loading). Each RSS is read 2 s after the
step, from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
sys.path.insert(0, str(CODE))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import rss_mb  # noqa: E402

from bot.ids import Input  # noqa: E402
from bot.sandbox.fake_slack import BOT_TOKEN, FakeSlack  # noqa: E402
from bot.sandbox.requests import SIGNING_SECRET, SlackSender, view_submission  # noqa: E402

OWNER = "UOWNER"
BIN = Path(sys.executable).parent / "discovery-bot"
INSIGHTS = "- Setup takes more than a week before the team sees value\n- SSO is required"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--wait", type=float, default=5.0)
    args = p.parse_args()
    fake = FakeSlack().start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=fake.api_url, PORT=str(port),
               DATABASE_URL=f"sqlite:///{tempfile.mkdtemp(prefix='bench-memory-')}/m.db",
               PYTHONPATH=str(CODE))  # fmt: skip
    argv = [str(BIN), "serve", "--no-scheduler", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=CODE
    )
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() - started > 60:
                raise SystemExit(server.stderr.read().decode()[-2000:]) from None
            time.sleep(0.05)
    ready = time.monotonic() - started
    sender = SlackSender(url, fake.response_url)

    def rss(step: str) -> None:
        time.sleep(2)
        print(f"  {step:38} RSS {rss_mb(server.pid):6.1f} MB", flush=True)

    def opened(reply) -> dict:
        return fake.wait_one("views.open", trigger_id=reply.trigger_id).args["view"]

    try:
        print(f"code {CODE}: ready in {ready:.2f} s (wait before Save {args.wait:g} s)")
        rss("after start")
        view = opened(sender.command("new Why do trials stall?", user=OWNER, channel="C1"))
        answers = {Input.SEGMENT: "recent_signups"}
        sender.interaction(view_submission(view, answers, user=OWNER, team=sender.team))
        rss("after a question is opened")
        view = opened(sender.command("log #1", user=OWNER))
        time.sleep(args.wait)
        answers = {Input.INTERVIEWEE: "Acme", Input.INSIGHTS: INSIGHTS}
        t0 = time.monotonic()
        reply = sender.interaction(view_submission(view, answers, user=OWNER, team=sender.team))
        took = time.monotonic() - t0
        assert reply.status == 200, reply
        coded = json.loads(reply.body) if reply.body else {}
        print(f"  first Save answered in {took * 1000:.0f} ms ({coded.get('response_action')})")
        rss("after the first summary")
        view = opened(sender.command("log #1", user=OWNER))
        answers = {Input.INTERVIEWEE: "Beta", Input.INSIGHTS: "- setup takes over a week"}
        t0 = time.monotonic()
        reply = sender.interaction(view_submission(view, answers, user=OWNER, team=sender.team))
        print(f"  second Save answered in {(time.monotonic() - t0) * 1000:.0f} ms")
        rss("after the second summary")
    finally:
        server.terminate()
        server.wait(10)
        fake.stop()


if __name__ == "__main__":
    main()
