"""A loopback fake of an OpenAI-compatible chat completions endpoint, for tests and the demo.

It checks each request as the real one would be checked (the path, the bearer key, the model,
a strict `json_schema` response format carrying the app's schema, a system and a user message)
and records what it finds wrong; it answers as `mode` says: "valid" (the `answer` set, as the
message's JSON content), "invalid" (JSON off the schema), "slow" (valid, after `delay`
seconds), "failing" (HTTP 500) or "garbage" (content that is not JSON).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cadence.drafting import ANSWER_SCHEMA
from cadence.models import JTBD_PARTS

API_KEY = "sk-test-drafting-key"
MODEL = "test-model"
PATH = "/v1/chat/completions"


def answer_of(**fields: Any) -> dict[str, Any]:
    """An answer on the schema: empty fields, but for those given."""
    empty = {"interviewee": "", "company": "", "quote": "", "insights": []}
    return {**empty, **{part: [] for part in JTBD_PARTS}, **fields}


@dataclass
class FakeLLM:
    mode: str = "valid"
    answer: dict[str, Any] = field(default_factory=answer_of)
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def reset(self, mode: str = "valid", answer: dict[str, Any] | None = None) -> None:
        with self._cond:
            self.mode, self.answer, self.delay = mode, answer or answer_of(), 0.0
            self.requests.clear()
            self.violations.clear()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def check(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> list[str]:
        """What is wrong with a request, as an OpenAI-compatible endpoint would refuse it."""
        problems = []
        if path != PATH:
            problems.append(f"path {path}")
        if headers.get("authorization") != f"Bearer {API_KEY}":
            problems.append("no bearer key")
        if headers.get("content-type", "").split(";")[0] != "application/json":
            problems.append("not JSON")
        if body.get("model") != MODEL:
            problems.append(f"model {body.get('model')!r}")
        roles = [m.get("role") for m in body.get("messages", [])]
        if roles != ["system", "user"] or not all(m.get("content") for m in body["messages"]):
            problems.append(f"messages {roles}")
        form = body.get("response_format") or {}
        schema = form.get("json_schema") or {}
        if form.get("type") != "json_schema" or schema.get("strict") is not True:
            problems.append("not a strict json_schema response format")
        if schema.get("schema") != ANSWER_SCHEMA or not schema.get("name"):
            problems.append("not the app's schema")
        return problems

    def respond(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        with self._cond:
            self.requests.append({"path": path, "headers": headers, "body": body})
            self.violations += self.check(path, headers, body)
            self._cond.notify_all()
            mode, answer, delay = self.mode, self.answer, self.delay
        if mode == "failing":
            return 500, {"error": {"message": "the model is down", "type": "server_error"}}
        if mode == "slow":
            time.sleep(delay)
        content = {
            "invalid": json.dumps({"summary": "not the schema"}),
            "garbage": "Sure! Here is the summary: ...",
        }.get(mode, json.dumps(answer))
        choice = {"index": 0, "message": {"role": "assistant", "content": content}}
        return 200, {"id": "chatcmpl-1", "object": "chat.completion", "choices": [choice]}


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            status, payload = fake.respond(self.path, headers, body)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client stopped waiting
                self.close_connection = True

    return Handler
