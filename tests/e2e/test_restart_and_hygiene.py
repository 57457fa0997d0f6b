"""The server's lifecycle: state survives restarts; SIGTERM drains; SIGKILL leaves no running
environment; the next start removes leftover cgroups."""
import concurrent.futures
import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FUNCTIONS, create, invoke, lambda_client, unique, zip_dir


def kindling_cgroups(data_dir):
    """The per-server cgroup roots of the server using `data_dir`, in every hierarchy."""
    key = hashlib.sha256(os.path.realpath(data_dir).encode()).hexdigest()[:12]
    found = []
    for root, dirs, _ in os.walk("/sys/fs/cgroup"):
        for d in dirs:
            if d == f"kindling-{key}":
                found.append(os.path.join(root, d))
        dirs[:] = [d for d in dirs if not d.startswith("kindling-")]
    return found


def environment_pids(server_pid):
    """Pids of processes whose ancestry leads to the server (its launcher and environments)."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    parent = {}
    for line in out.splitlines():
        pid, ppid = map(int, line.split())
        parent[pid] = ppid
    found = []
    for pid in parent:
        p = pid
        while p in parent and p > 1:
            p = parent[p]
            if p == server_pid:
                found.append(pid)
                break
    return found


def test_state_survives_a_restart(start_server, workdir):
    data = workdir / "restart-data"
    s = start_server(data_dir=data)
    lam = lambda_client(s.endpoint)
    name = unique("persist")
    create(lam, name, "python3.11", "handlers.echo", zip_dir(FUNCTIONS / "python"),
           Environment={"Variables": {"GREETING": "kept"}}, Tags={"t": "1"})
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    s.stop()
    s2 = start_server(data_dir=data)
    lam = lambda_client(s2.endpoint)
    cfg = lam.get_function(FunctionName=name)
    assert cfg["Configuration"]["Environment"]["Variables"] == {"GREETING": "kept"}
    assert cfg["Tags"] == {"t": "1"}
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    r, body = invoke(lam, f"{name}:live")
    assert r["ExecutedVersion"] == "1" and body["env_var"] == "kept"


def test_sigterm_finishes_in_flight_invocations(start_server):
    s = start_server()
    lam = lambda_client(s.endpoint)
    name = unique("drain")
    create(lam, name, "python3.11", "handlers.sleep", zip_dir(FUNCTIONS / "python"), Timeout=20)
    invoke(lam, name, {"seconds": 0})  # warm
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        fut = pool.submit(invoke, lambda_client(s.endpoint), name, {"seconds": 2})
        time.sleep(0.5)
        s.proc.send_signal(signal.SIGTERM)
        r, body = fut.result(timeout=30)
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert s.proc.wait(timeout=30) == 0
    assert environment_pids(s.proc.pid) == []


def test_sigkill_leaves_no_environment_and_restart_sweeps_cgroups(start_server, workdir):
    data = workdir / "kill-data"
    s = start_server(data_dir=data)
    lam = lambda_client(s.endpoint)
    name = unique("kill")
    create(lam, name, "python3.11", "handlers.sleep", zip_dir(FUNCTIONS / "python"), Timeout=60)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        futs = [pool.submit(invoke, lambda_client(s.endpoint), name, {"seconds": 30})
                for _ in range(3)]
        deadline = time.time() + 20
        while len(environment_pids(s.proc.pid)) < 4 and time.time() < deadline:
            time.sleep(0.1)
        children = environment_pids(s.proc.pid)
        assert len(children) >= 4  # launcher + three environments (init + runtime each)
        s.proc.kill()
        s.proc.wait()
        for f in futs:
            with pytest.raises(Exception):
                f.result(timeout=30)
    deadline = time.time() + 10
    alive = children
    while alive and time.time() < deadline:
        alive = [p for p in children if Path(f"/proc/{p}").exists() and
                 "zombie" not in Path(f"/proc/{p}/status").read_text().lower()]
        time.sleep(0.1)
    assert alive == [], "environments outlived the server"
    # The killed server's environment cgroups are still there...
    roots = kindling_cgroups(data)
    assert any(d.startswith("env-") for r in roots for d in os.listdir(r))
    # ...and the next start removes them before serving.
    s2 = start_server(data_dir=data)
    assert not any(d.startswith("env-") for r in kindling_cgroups(data) for d in os.listdir(r))
    lam = lambda_client(s2.endpoint)
    assert invoke(lam, name, {"seconds": 0})[0]["StatusCode"] == 200
    # While it runs, its roots exist; a clean stop removes them.
    assert kindling_cgroups(data)
    s2.stop()
    assert kindling_cgroups(data) == []


def test_idle_environments_are_reaped_after_the_idle_timeout(start_server):
    s = start_server(extra_args=["--idle-timeout", "1s"])
    lam = lambda_client(s.endpoint)
    name = unique("idle")
    create(lam, name, "python3.11", "handlers.echo", zip_dir(FUNCTIONS / "python"))
    first = invoke(lam, name)[1]["environment"]
    assert invoke(lam, name)[1]["environment"] == first  # warm within the timeout
    time.sleep(3)
    assert invoke(lam, name)[1]["environment"] != first  # reaped, so a new one


def test_a_dead_launcher_stops_the_server_loudly(start_server):
    s = start_server()
    launcher = [p for p in environment_pids(s.proc.pid)
                if Path(f"/proc/{p}/comm").read_text().strip() == "kindling-launch"]
    assert len(launcher) == 1
    os.kill(launcher[0], signal.SIGKILL)
    assert s.proc.wait(timeout=30) == 70
    assert "the launcher process died" in s.logs()
