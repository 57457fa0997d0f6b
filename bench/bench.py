#!/usr/bin/python3
"""kindling benchmarks (`make bench`): warm invoke latency and throughput through the HTTP API
(wrk), and cold-start time, for a Python, a Node.js and a native hello function.

Starts its own `kindling serve` on a free port with a scratch data directory, deploys the three
functions, measures, prints a table and writes bench/results/<timestamp>.json. Standard library
only; needs wrk (Debian package).
"""
import base64
import http.client
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = (ROOT / os.environ.get("BUILD", "build")).resolve()
KINDLING = BUILD / "kindling"
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "30"))
ROLE = "arn:aws:iam::000000000000:role/bench"


def zip_files(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, data)
    return buf.getvalue()


FUNCTIONS = {
    "python": ("python3.11", "app.handler",
               {"app.py": ((ROOT / "examples/hello-python/app.py").read_bytes(), 0o644)}),
    "node": ("nodejs20.x", "index.handler",
             {"index.mjs": ((ROOT / "bench/functions/node/index.mjs").read_bytes(), 0o644)}),
    "native": ("provided.al2023", "hello",
               {"bootstrap": ((BUILD / "examples/hello-cpp/bootstrap").read_bytes(), 0o755)}),
}


class Api:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        self.conn.request(method, path, body=data)
        r = self.conn.getresponse()
        payload = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {payload[:300]!r}")
        return r, payload


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def wrk(port, name, threads, conns, seconds=None):
    seconds = seconds or WRK_SECONDS
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/{name}/invocations"
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency",
                          "-s", str(ROOT / "bench/wrk_post.lua"), url],
                         capture_output=True, text=True, check=True).stdout
    line = [l for l in out.splitlines() if l.startswith("WRK_JSON ")][0]
    r = json.loads(line[len("WRK_JSON "):])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["command"] = f"wrk -t{threads} -c{conns} -d{seconds}s --latency -s bench/wrk_post.lua {url}"
    return r


def cold_starts(api, name):
    """Invoke-to-response time when no idle environment exists: each run first changes the
    function's configuration, which retires its environments (not timed)."""
    times, inits = [], []
    for i in range(COLD_RUNS):
        api.call("PUT", f"/2015-03-31/functions/{name}/configuration",
                 {"Description": f"cold {i}"})
        t0 = time.perf_counter()
        r, _ = api.call("POST", f"/2015-03-31/functions/{name}/invocations", b"{}")
        times.append((time.perf_counter() - t0) * 1000)
    return {"runs": COLD_RUNS, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99),
            "min_ms": min(times), "max_ms": max(times),
            "method": "PUT configuration (retires environments), then time POST invocations"}


# Every layer but the cgroup limits: the same memory and CPU limits, without namespaces, uid
# switch and seccomp. Comparing the two servers in one run isolates what the sandbox costs.
NO_SANDBOX = ["--reduced-isolation", "pid-ns,mount-ns,net-ns,ipc-ns,uts-ns,cgroup-ns,uid,seccomp"]
MEMORY_MB = 512


class Kindling:
    """A `kindling serve` with a scratch data directory."""

    def __init__(self, extra_args=()):
        self.data = Path(tempfile.mkdtemp(prefix="kindling-bench-"))
        self.port = free_port()
        self.log = open(self.data / "server.log", "wb")
        self.proc = subprocess.Popen([str(KINDLING), "serve", "--listen", f"127.0.0.1:{self.port}",
                                      "--data-dir", str(self.data / "data"), "--log-level", "warn",
                                      *extra_args], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        self.api = Api(self.port)

    def deploy(self, label):
        runtime, handler, files = FUNCTIONS[label]
        name = f"bench-{label}"
        self.api.call("POST", "/2015-03-31/functions", {
            "FunctionName": name, "Runtime": runtime, "Handler": handler, "Role": ROLE,
            "MemorySize": MEMORY_MB, "Timeout": 10,
            "Code": {"ZipFile": base64.b64encode(zip_files(files)).decode()}})
        return name

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def sandbox_cycles():
    """Create+destroy rate of fully isolated environments through the real launcher."""
    test = BUILD / "src/sandbox/sandbox_cycles_test"
    out = subprocess.run([str(test)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "create/destroy cycles" in line:
            return {"line": line.strip(), "per_second": float(line.split(":")[-1].split()[0]),
                    "command": str(test)}
    return {"line": "not measured"}


def main():
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is missing (apt-get install wrk)")
    results = {"machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                           "load_before": os.getloadavg()},
               "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                     capture_output=True, text=True).stdout.strip(),
               "memory_mb": MEMORY_MB, "functions": {}, "no_sandbox": {}}
    sandboxed = Kindling()
    try:
        for label in FUNCTIONS:
            name = sandboxed.deploy(label)
            entry = {"runtime": FUNCTIONS[label][0]}
            entry["cold_start"] = cold_starts(sandboxed.api, name)
            sandboxed.api.call("POST", f"/2015-03-31/functions/{name}/invocations", b"{}")
            entry["warm_c1"] = wrk(sandboxed.port, name, 1, 1)
            # Scale out to 16 environments first, so the measurement is steady state.
            entry["scale_out_c16"] = wrk(sandboxed.port, name, 2, 16, seconds=2)
            entry["throughput_c16"] = wrk(sandboxed.port, name, 2, 16)
            results["functions"][label] = entry
    finally:
        sandboxed.stop()
    plain = Kindling(NO_SANDBOX)
    try:
        for label in ("python", "native"):
            name = plain.deploy(label)
            entry = {"cold_start": cold_starts(plain.api, name)}
            plain.api.call("POST", f"/2015-03-31/functions/{name}/invocations", b"{}")
            entry["warm_c1"] = wrk(plain.port, name, 1, 1)
            results["no_sandbox"][label] = entry
    finally:
        plain.stop()
    results["sandbox_cycles"] = sandbox_cycles()
    results["machine"]["load_after"] = os.getloadavg()

    out_dir = ROOT / "bench/results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"{results['time'].replace(':', '')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nkindling {results['git']} on {results['machine']['cpus']} CPUs, "
          f"load {results['machine']['load_before'][0]:.2f}")
    print(f"{'function':8} {'cold p50':>9} {'cold p99':>9} {'warm p50':>9} {'warm p99':>9} "
          f"{'c1 rps':>8} {'c16 rps':>8} {'c16 p99':>9}")
    for label, e in results["functions"].items():
        c, w, t = e["cold_start"], e["warm_c1"], e["throughput_c16"]
        print(f"{label:8} {c['p50_ms']:7.2f}ms {c['p99_ms']:7.2f}ms {w['p50_us']:7d}us "
              f"{w['p99_us']:7d}us {w['rps']:8.0f} {t['rps']:8.0f} {t['p99_us']:7d}us")
    print(f"\nsame run, {MEMORY_MB} MB: sandbox on vs off (cgroup limits in both)")
    for label, e in results["no_sandbox"].items():
        on = results["functions"][label]
        print(f"{label:8} cold p50 {on['cold_start']['p50_ms']:6.2f} vs {e['cold_start']['p50_ms']:6.2f} ms"
              f"   warm p50 {on['warm_c1']['p50_us']:5d} vs {e['warm_c1']['p50_us']:5d} us")
    print(f"sandbox: {results['sandbox_cycles']['line']}")
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
