"""Test harness: a fake Lambda Runtime API server and a bootstrap runner.

``run_bootstrap(handler, events, ...)`` starts a stdlib http.server (HTTP/1.1,
keep-alive, 127.0.0.1, ephemeral port) that hands out ``events`` on
GET /next, records every request, then starts the real bootstrap.py as a
subprocess with /usr/bin/python3 and LAMBDA_TASK_ROOT = tests/fixtures.
Once every event has been answered (or the process exits / posts an init
error) the runner stops the process and returns a Result with the recorded
requests and the process's combined stdout+stderr.
"""

import collections
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
BOOTSTRAP = os.path.join(os.path.dirname(HERE), "bootstrap.py")
PYTHON = "/usr/bin/python3"
PREFIX = "/2018-06-01/runtime"

Request = collections.namedtuple(
    "Request", "method path headers body client_port output_at_arrival")


class Event(object):
    def __init__(self, payload=b"{}", request_id=None, content_type="application/json",
                 deadline_ms=None, headers=None):
        if not isinstance(payload, bytes):
            payload = json.dumps(payload).encode()
        self.payload = payload
        self.request_id = request_id
        self.content_type = content_type
        self.deadline_ms = deadline_ms
        self.headers = headers or {}


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The bootstrap is killed at the end of each test while its GET /next
        # is parked; the resulting broken pipes are expected.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeRuntimeAPI(object):
    def __init__(self, events, status_overrides=None, output_path=None):
        self.events = collections.deque(events)
        self.status_overrides = status_overrides or {}  # (method, suffix) -> status
        self.output_path = output_path
        self.requests = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.issued = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self, body):
                output = None
                if api.output_path:
                    with open(api.output_path, "rb") as f:
                        output = f.read()
                req = Request(self.command, self.path, dict(self.headers.items()),
                              body, self.client_address[1], output)
                with api.lock:
                    api.requests.append(req)
                    api.changed.notify_all()
                return req

            def _override(self):
                for (method, suffix), status in api.status_overrides.items():
                    if method == self.command and self.path.endswith(suffix):
                        return status
                return None

            def do_GET(self):
                self._record(b"")
                status = self._override()
                if status is not None:
                    self._reply(status, b'{"errorType":"Injected"}')
                    return
                if self.path != PREFIX + "/invocation/next":
                    self._reply(404)
                    return
                with api.lock:
                    event = api.events.popleft() if api.events else None
                if event is None:
                    api.stop.wait(30)  # long-poll until the test is over
                    self._reply(500, b'{"errorType":"Shutdown"}')
                    return
                rid = event.request_id or "req-%d" % (len(api.issued) + 1)
                api.issued.append(rid)
                deadline = event.deadline_ms or int(time.time() * 1000) + 30000
                headers = {
                    "Lambda-Runtime-Aws-Request-Id": rid,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        "arn:aws:lambda:us-east-1:123456789012:function:fixture",
                }
                if event.content_type is not None:
                    headers["Content-Type"] = event.content_type
                headers.update(event.headers)
                self._reply(200, event.payload, headers)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                self._record(body)
                status = self._override()
                self._reply(status or 202, b'{"status":"OK"}',
                            {"Content-Type": "application/json"})

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def posts(self):
        with self.lock:
            return [r for r in self.requests if r.method == "POST"]

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class Result(object):
    def __init__(self, api, returncode, output, exited_by_itself, elapsed):
        self.requests = list(api.requests)
        self.issued = list(api.issued)
        self.returncode = returncode
        self.output = output
        self.exited_by_itself = exited_by_itself
        self.elapsed = elapsed

    @property
    def posts(self):
        return [r for r in self.requests if r.method == "POST"]

    def post_for(self, request_id):
        for r in self.posts:
            if "/invocation/%s/" % request_id in r.path:
                return r
        raise AssertionError("no POST for %s in %r" % (request_id, self.requests))

    def json_for(self, request_id):
        return json.loads(self.post_for(request_id).body)

    @property
    def init_error(self):
        for r in self.posts:
            if r.path == PREFIX + "/init/error":
                return r
        return None


def base_env(api_address, handler, extra=None):
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "_HANDLER": handler,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "LAMBDA_TASK_ROOT": FIXTURES,
        "LAMBDA_RUNTIME_DIR": os.path.dirname(BOOTSTRAP),
        "AWS_LAMBDA_FUNCTION_NAME": "fixture",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fixture",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_LOG_FORMAT": "Text",
    }
    env.update(extra or {})
    return {k: v for k, v in env.items() if v is not None}


def run_bootstrap(handler, events=(), env=None, status_overrides=None,
                  timeout=20.0, expected_posts=None, argv=()):
    """Run bootstrap.py against a fake Runtime API; see module docstring."""
    events = list(events)
    if expected_posts is None:
        expected_posts = len(events)
    with tempfile.NamedTemporaryFile(prefix="bootstrap-out-", delete=False) as out:
        out_path = out.name
    api = FakeRuntimeAPI(events, status_overrides, out_path)
    try:
        with open(out_path, "wb") as out:
            start = time.monotonic()
            proc = subprocess.Popen(
                [PYTHON, BOOTSTRAP] + list(argv), cwd=FIXTURES,
                env=base_env(api.address, handler, env),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            deadline = start + timeout
            exited = False
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    exited = True
                    break
                posts = api.posts()
                if any(p.path == PREFIX + "/init/error" for p in posts):
                    pass  # the process should now exit by itself
                elif expected_posts and len(posts) >= expected_posts:
                    break
                time.sleep(0.01)
            if not exited:
                time.sleep(0.05)  # let a just-posted error exit or settle
                exited = proc.poll() is not None
            elapsed = time.monotonic() - start
            if proc.poll() is None:
                proc.kill()
            returncode = proc.wait(5)
        with open(out_path, "rb") as f:
            output = f.read().decode("utf-8", "replace")
        return Result(api, returncode, output, exited, elapsed)
    finally:
        api.close()
        os.unlink(out_path)


@pytest.fixture
def run():
    return run_bootstrap


def pytest_report_header(config):
    return "bootstrap under test: %s (interpreter %s)" % (BOOTSTRAP, PYTHON)
