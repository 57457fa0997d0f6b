"""End-to-end fixtures: a real `kindling serve`, driven by boto3 and the AWS CLI v2.

Every test talks to a real server process over HTTP on loopback. The session-wide server is
shared; tests that restart or kill a server start their own with `start_server`.
"""
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import botocore.config
import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = Path(__file__).resolve().parent / "functions"
KINDLING = os.environ.get("KINDLING_BIN", str(ROOT / "build" / "kindling"))
AWS_CLI = "/usr/bin/aws"  # Debian's AWS CLI v2 (the `aws` on PATH may be another one)
CREDS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
         "AWS_DEFAULT_REGION": "us-east-1"}
ROLE = "arn:aws:iam::000000000000:role/kindling-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running `kindling serve` with its own data directory."""

    def __init__(self, data_dir, port=None, extra_args=()):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [KINDLING, "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", str(self.data_dir), *self.extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kindling exited: {self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("kindling did not start listening")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def logs(self):
        return self.log_path.read_text(errors="replace")


def lambda_client(endpoint, read_timeout=120):
    cfg = botocore.config.Config(read_timeout=read_timeout, connect_timeout=5,
                                 retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test", config=cfg)


@pytest.fixture(scope="session")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="kindling-e2e-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def server(workdir):
    s = Server(workdir / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def lam(server):
    return lambda_client(server.endpoint)


@pytest.fixture
def start_server(workdir):
    """Starts extra servers for tests that restart or kill one; stops them afterwards."""
    started = []

    def start(data_dir=None, port=None, extra_args=()):
        s = Server(data_dir or workdir / f"data-{uuid.uuid4().hex[:8]}", port, extra_args)
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.stop(signal.SIGKILL if s.proc and s.proc.poll() is None else signal.SIGTERM)


def aws(endpoint, *args, check=True):
    """Runs the AWS CLI v2 against kindling; returns (exit code, parsed JSON or text, stderr)."""
    env = {**os.environ, **CREDS, "AWS_PAGER": ""}
    p = subprocess.run([AWS_CLI, "--endpoint-url", endpoint, "--output", "json", *args],
                       capture_output=True, text=True, env=env, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {p.stderr}")
    try:
        out = json.loads(p.stdout) if p.stdout.strip() else None
    except json.JSONDecodeError:
        out = p.stdout
    return p.returncode, out, p.stderr


def zip_bytes(files):
    """A zip from {name: text or bytes or (content, mode)}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in sorted(files.items()):
            mode = 0o644
            if isinstance(content, tuple):
                content, mode = content
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return buf.getvalue()


def zip_dir(path):
    files = {}
    for p in sorted(Path(path).rglob("*")):
        if p.is_file():
            files[str(p.relative_to(path))] = (p.read_bytes(), p.stat().st_mode & 0o777)
    return zip_bytes(files)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(lam, name, runtime, handler, zip_file, **kw):
    return lam.create_function(FunctionName=name, Runtime=runtime, Handler=handler, Role=ROLE,
                               Code={"ZipFile": zip_file}, **kw)


def invoke(lam, name, payload=None, **kw):
    """Invokes and returns (response metadata dict, decoded body)."""
    body = json.dumps(payload if payload is not None else {}).encode()
    r = lam.invoke(FunctionName=name, Payload=body, **kw)
    raw = r["Payload"].read()
    try:
        data = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        data = raw
    return r, data


def function_factory(lam, runtime, source_dir):
    """make(handler, **config) -> the name of a function with that handler and configuration,
    created once per distinct (handler, config) from the package in `source_dir`."""
    made = {}
    package = zip_dir(source_dir)

    def make(handler, **config):
        key = (handler, json.dumps(config, sort_keys=True))
        if key not in made:
            name = unique(runtime.split(".")[0].rstrip("0123456789"))
            create(lam, name, runtime, handler, package, **config)
            made[key] = name
        return made[key]

    return make

