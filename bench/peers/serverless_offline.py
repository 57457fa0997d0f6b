#!/usr/bin/python3
"""The local peer for `make bench`: the same hello handlers on serverless-offline, measured the
way bench/bench.py measures kindling, through the same Lambda Invoke API call.

What it does (standard library only; needs node, npm and wrk):
1. Installs serverless@3 and serverless-offline@13 with npm into a scratch folder outside the
   repository, reused when already there: $KINDLING_SLSOFF_DIR, else
   $XDG_CACHE_HOME/kindling-bench/slsoff, else ~/.cache/kindling-bench/slsoff (about 35 s and
   636 packages the first time). serverless-offline 14 needs serverless 4, which needs a login,
   hence 13 (shared/research/perf-anchors.md, part C).
2. Writes a service (`kbench`, stage `dev`, 512 MB, timeout 10 s) with no events, only
   functions, and copies the handlers bench.py deploys to kindling:
     python: examples/hello-python/app.py, handler app.handler, python3.11
     node:   bench/functions/node/index.mjs, handler index.handler, nodejs20.x (serverless-offline
             13 loads .mjs ESM handlers: its aws-lambda-ric loader tries .js, .mjs, .cjs)
3. Starts `serverless offline start --host 127.0.0.1 --lambdaPort P` in its own process group.
   Its Lambda endpoint serves POST /2015-03-31/functions/<service>-<stage>-<key>/invocations, so
   the functions are `kbench-dev-python` and `kbench-dev-node` (the names it prints at start;
   any other name gets a 404 ResourceNotFoundException).
4. Measures, like bench.py:
     cold start: a server started with --reloadHandler, which builds a new instance for every
       request (Python: a new `/bin/sh -c python3 -u invoke.py` process, interpreter start and
       handler import; Node: a new worker_thread that imports the handler afresh). One untimed
       invoke per function first (serverless-offline loads its runners lazily), then cold_runs
       timed POSTs from one keep-alive http.client connection. That is the same cost kindling's
       cold start measures (new environment, runtime start, handler import, the invocation);
       restarting the server per run would also work but costs about 2 s a run. The Python
       handler's `warm_invocations` must be 1 in every cold answer, which proves each was a fresh
       process.
     warm and throughput: a second server, without --reloadHandler, as a user runs it; one
       warm-up invoke, then wrk -t1 -c1 -d<seconds>s, wrk -t2 -c16 -d2s (scale-out: every busy
       instance makes it create a new one) and wrk -t2 -c16 -d<seconds>s, all with
       bench/wrk_post.lua against the invoke URL.
   Python handlers: serverless-offline spawns `python3` (the runtime name up to the first dot)
   through a shell, so the server gets PATH with /usr/bin first: /usr/bin/python3 (Debian
   3.11), not the pyenv shim that is first on this machine's PATH (about 65 ms more per start,
   and other packages). The executable that actually ran is reported as `python_executable`.

Fails soft: any problem (no npm, registry unreachable, a server that does not start) comes back as
{"error": "..."} (for the whole peer, or for one function) instead of an exception.

Use: `from peers import serverless_offline; serverless_offline.measure(10, 30)` from bench/, or
`/usr/bin/python3 bench/peers/serverless_offline.py [seconds] [cold_runs]` to print the JSON.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "kbench"
STAGE = "dev"
MEMORY_MB = 512
PACKAGES = ("serverless@3", "serverless-offline@13")
# label -> (runtime, handler, source file, file name in the service)
FUNCTIONS = {
    "python": ("python3.11", "app.handler", ROOT / "examples/hello-python/app.py", "app.py"),
    "node": ("nodejs20.x", "index.handler", ROOT / "bench/functions/node/index.mjs", "index.mjs"),
}
SERVER_ENV = {
    "SLS_TELEMETRY_DISABLED": "1",
    "SLS_NOTIFICATIONS_MODE": "off",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
}


class PeerError(Exception):
    pass


def install_dir():
    if os.environ.get("KINDLING_SLSOFF_DIR"):
        return Path(os.environ["KINDLING_SLSOFF_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "kindling-bench" / "slsoff"


def package_version(base, name):
    try:
        return json.loads((base / "node_modules" / name / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def run_group(cmd, timeout, **kwargs):
    """Runs cmd in its own process group; on timeout the whole group is killed."""
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise PeerError(f"{' '.join(cmd)}: no result after {timeout} s")
    return proc.returncode, out


def ensure_installed():
    """serverless 3 + serverless-offline 13 in install_dir(); returns facts about the install."""
    base = install_dir()
    sls, off = package_version(base, "serverless"), package_version(base, "serverless-offline")
    if sls and off and sls.startswith("3.") and off.startswith("13."):
        return {"dir": str(base), "installed_now": False}
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise PeerError(f"{tool} is not installed (serverless-offline needs Node.js and npm)")
    base.mkdir(parents=True, exist_ok=True)
    if not (base / "package.json").exists():
        (base / "package.json").write_text('{"name": "kindling-bench-slsoff", "private": true}\n')
    cmd = ["npm", "install", "--no-audit", "--no-fund", *PACKAGES]
    t0 = time.monotonic()
    code, out = run_group(cmd, 600, cwd=base, env={**os.environ, **SERVER_ENV})
    if code != 0:
        errors = [line for line in out.splitlines() if line.startswith("npm error")]
        detail = " | ".join(errors[:3]) if errors else out.strip()[-600:]
        raise PeerError(f"{' '.join(cmd)} failed ({code}): {detail}")
    return {"dir": str(base), "installed_now": True, "install_s": round(time.monotonic() - t0, 1),
            "command": f"cd {base} && {' '.join(cmd)}"}


def write_service(base):
    """A scratch service folder beside node_modules with the bench handlers and serverless.yml."""
    svc = Path(tempfile.mkdtemp(prefix="svc-", dir=base))
    (svc / "node_modules").symlink_to(base / "node_modules")
    lines = [f"service: {SERVICE}", "frameworkVersion: '3'", "provider:", "  name: aws",
             f"  stage: {STAGE}", "  region: us-east-1", f"  memorySize: {MEMORY_MB}",
             "  timeout: 10", "plugins:", "  - serverless-offline", "functions:"]
    for label, (runtime, handler, source, target) in FUNCTIONS.items():
        shutil.copyfile(source, svc / target)
        lines += [f"  {label}:", f"    handler: {handler}", f"    runtime: {runtime}"]
    (svc / "serverless.yml").write_text("\n".join(lines) + "\n")
    return svc


def function_name(label):
    return f"{SERVICE}-{STAGE}-{label}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Server:
    """`serverless offline start` in its own process group, stopped with the whole group."""

    def __init__(self, base, svc, extra_args=()):
        self.port = free_port()
        self.log_path = svc / f"server-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYENV_VERSION")}
        env.update(SERVER_ENV)
        # serverless-offline runs `python3` through /bin/sh: make that /usr/bin/python3.
        env["PATH"] = "/usr/bin:/bin:" + env.get("PATH", "")
        self.args = ["--host", "127.0.0.1", "--lambdaPort", str(self.port),
                     "--httpPort", str(free_port()), "--noSponsor", *extra_args]
        t0 = time.monotonic()
        with open(self.log_path, "wb") as log:
            cmd = [str(base / "node_modules/.bin/serverless"), "offline", "start", *self.args]
            self.proc = subprocess.Popen(cmd, cwd=svc, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        try:
            while True:
                if self.proc.poll() is not None:
                    raise PeerError(f"serverless offline exited ({self.proc.returncode}): "
                                    f"{self.log_tail()}")
                if time.monotonic() - t0 > 60:
                    raise PeerError(f"serverless offline not listening after 60 s: "
                                    f"{self.log_tail()}")
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        self.start_s = time.monotonic() - t0
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def log_tail(self):
        try:
            return self.log_path.read_text(errors="replace").strip()[-600:]
        except OSError:
            return ""

    def invoke(self, label, body=b"{}"):
        path = f"/2015-03-31/functions/{function_name(label)}/invocations"
        headers = {"Content-Type": "application/json"}
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            r = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # Node closes keep-alive connections idle for 5 s (e.g. while wrk ran): reconnect.
            self.conn.close()
            self.conn.request("POST", path, body=body, headers=headers)
            r = self.conn.getresponse()
        payload = r.read()
        if r.status != 200 or r.getheader("X-Amz-Function-Error"):
            raise PeerError(f"invoke {function_name(label)}: {r.status} {payload[:300]!r} "
                            f"{self.log_tail()[-300:]}")
        return json.loads(payload) if payload else None

    def python_executables(self):
        """Executables of the Python processes in the server's process group."""
        found = set()
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.getpgid(int(pid)) != self.proc.pid:
                    continue
                exe = os.readlink(f"/proc/{pid}/exe")
            except OSError:
                continue
            if "python" in Path(exe).name:
                found.add(exe)
        return sorted(found)

    def stop(self):
        if getattr(self, "conn", None):
            self.conn.close()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:  # handler processes (and the server itself, if SIGTERM was not enough)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def wrk(port, label, threads, conns, seconds):
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/{function_name(label)}/invocations"
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency",
           "-s", str(ROOT / "bench/wrk_post.lua"), url]
    code, out = run_group(cmd, seconds + 60)
    lines = [line for line in out.splitlines() if line.startswith("WRK_JSON ")]
    if code != 0 or not lines:
        raise PeerError(f"wrk failed ({code}): {out.strip()[-300:]}")
    r = json.loads(lines[0][len("WRK_JSON "):])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["command"] = f"wrk -t{threads} -c{conns} -d{seconds}s --latency -s bench/wrk_post.lua {url}"
    return r


def cold_starts(server, label, runs):
    server.invoke(label)  # untimed: serverless-offline imports its runner modules lazily
    times, fresh = [], True
    for _ in range(runs):
        t0 = time.perf_counter()
        answer = server.invoke(label)
        times.append((time.perf_counter() - t0) * 1000)
        if label == "python":
            fresh = fresh and isinstance(answer, dict) and answer.get("warm_invocations") == 1
    out = {"runs": runs, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99),
           "min_ms": min(times), "max_ms": max(times),
           "method": "server started with --reloadHandler (a new instance per request); "
                     "time POST invocations from one keep-alive connection"}
    if label == "python":
        out["every_run_fresh_process"] = fresh
    return out


def measure(seconds=10, cold_runs=30):
    """Cold start, warm c1 and c16 throughput of the bench handlers on serverless-offline.

    Returns a dict shaped like bench.py's results["functions"] entries (cold_start, warm_c1,
    scale_out_c16, throughput_c16 with the same keys), or {"error": "..."}.
    """
    t_start = time.monotonic()
    result = {"peer": "serverless-offline", "functions": {}}
    servers = []
    svc = None
    try:
        if not shutil.which("wrk"):
            raise PeerError("wrk is not installed")
        result["install"] = ensure_installed()
        base = install_dir()
        result["versions"] = {
            "serverless": package_version(base, "serverless"),
            "serverless-offline": package_version(base, "serverless-offline"),
            "node": subprocess.run(["node", "--version"], capture_output=True,
                                   text=True).stdout.strip(),
            "python": subprocess.run(["/usr/bin/python3", "--version"], capture_output=True,
                                     text=True).stdout.strip()}
        svc = write_service(base)

        cold = Server(base, svc, ["--reloadHandler"])
        servers.append(cold)
        result["server_start_s"] = round(cold.start_s, 2)
        result["cold_server"] = "serverless offline start " + " ".join(cold.args)
        for label, (runtime, _, _, _) in FUNCTIONS.items():
            entry = {"runtime": runtime, "function_name": function_name(label)}
            try:
                entry["cold_start"] = cold_starts(cold, label, cold_runs)
            except Exception as e:
                entry["error"] = f"cold start: {type(e).__name__}: {e}"
            result["functions"][label] = entry
        result["python_executable"] = cold.python_executables()
        cold.stop()
        servers.remove(cold)

        warm = Server(base, svc)
        servers.append(warm)
        result["warm_server"] = "serverless offline start " + " ".join(warm.args)
        for label, entry in result["functions"].items():
            if "error" in entry:
                continue
            try:
                entry["answer"] = warm.invoke(label)
                entry["warm_c1"] = wrk(warm.port, label, 1, 1, seconds)
                entry["scale_out_c16"] = wrk(warm.port, label, 2, 16, 2)
                entry["throughput_c16"] = wrk(warm.port, label, 2, 16, seconds)
            except Exception as e:
                entry["error"] = f"warm: {type(e).__name__}: {e}"
    except Exception as e:  # fail soft: the peer must never stop `make bench`
        return {"peer": "serverless-offline", "error": f"{type(e).__name__}: {e}"}
    finally:
        for server in servers:
            server.stop()
        if svc:
            shutil.rmtree(svc, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - t_start, 1)
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(measure(*args), indent=2))
