"""A hostile-function suite: real handlers, each trying one escape or abuse from inside its
execution environment. Every test asserts the attempt fails, and that a well-behaved function
keeps answering correctly meanwhile (checked after every test)."""
import base64
import concurrent.futures
import random
import socket
import subprocess
import time

import pytest

from conftest import FUNCTIONS, ROOT, create, invoke, lambda_client, unique, zip_dir

HOSTILE = FUNCTIONS / "hostile"


@pytest.fixture(scope="module")
def fns(lam):
    made = {}

    def make(handler="hostile.probe", **config):
        config.setdefault("MemorySize", 1769)  # one vCPU, so the bombs finish quickly
        config.setdefault("Timeout", 60)
        key = (handler, tuple(sorted((k, str(v)) for k, v in config.items())))
        if key not in made:
            name = unique("hostile")
            create(lam, name, "python3.11", handler, zip_dir(HOSTILE), **config)
            made[key] = name
        return made[key]

    return make


@pytest.fixture(autouse=True)
def canary_keeps_answering(lam, fns):
    yield
    r, body = invoke(lam, fns("hostile.canary", MemorySize=256), {"n": 1})
    assert r["StatusCode"] == 200 and body == {"ok": True, "echo": {"n": 1}}


def probe(lam, fn, kind, **args):
    r, body = invoke(lam, fn, {"probe": kind, **args}, LogType="Tail")
    return r, body


def code_path(server, lam, name):
    sha = lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"]
    return server.data_dir / "code" / base64.b64decode(sha).hex()


def test_cannot_read_host_secrets_platform_data_or_other_functions_code(server, lam, fns):
    fn = fns()
    victim = unique("victim")
    create(lam, victim, "python3.11", "handlers.echo", zip_dir(FUNCTIONS / "python"))
    victim_file = code_path(server, lam, victim) / "handlers.py"
    assert victim_file.exists()  # it is there on the host...
    for path in ("/etc/shadow", str(server.data_dir / "kindling.db"), str(victim_file),
                 str(ROOT / "README.md"), "/root/.bashrc", "/sys/kernel/notes",
                 "/etc/ssl/private"):
        _, result = probe(lam, fn, "read", path=path)
        assert result == "ENOENT", (path, result)  # ...but not inside


def test_cannot_write_code_or_the_root(lam, fns):
    fn = fns()
    for path in ("/var/task/injected.py", "/injected", "/usr/bin/injected", "/etc/passwd",
                 "/var/runtime/python/bootstrap.py"):
        _, result = probe(lam, fn, "write", path=path)
        assert result == "EROFS", (path, result)


def test_escape_system_calls_are_denied(lam, fns):
    _, results = probe(lam, fns(), "syscalls")
    denied = {name: r for name, r in results.items() if r == "EPERM"}
    assert denied == results, {n: r for n, r in results.items() if r != "EPERM"}
    assert len(results) >= 28


def test_runs_as_a_reserved_uid_without_capabilities(lam, fns):
    _, status = probe(lam, fns(), "status")
    uid = int(status["Uid"].split()[0])
    assert 1000000 <= uid < 1000000 + 65536
    assert status["CapEff"] == status["CapPrm"] == status["CapBnd"] == "0000000000000000"
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"


@pytest.mark.parametrize("abi", ["int80", "x32"])
def test_foreign_syscall_abis_kill_the_process(lam, fns, abi):
    r, body = probe(lam, fns(), abi)
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert "signal: bad system call" in body["errorMessage"]


def test_fork_bomb_hits_the_process_limit(lam, fns):
    # Its own function: the bomb's paused children stay in that environment until it is reaped.
    r, body = probe(lam, fns(Description="fork bomb"), "fork_bomb")
    assert body["error"] == "EAGAIN"
    assert 900 < body["forked"] < 1024


def test_thread_bomb_hits_the_process_limit(lam, fns):
    r, body = probe(lam, fns(Description="thread bomb"), "thread_bomb")
    assert "can't start new thread" in body["error"]
    assert 900 < body["threads"] < 1024


def test_allocating_past_memory_size_ends_only_that_invocation(lam, fns):
    name = unique("oom")
    create(lam, name, "python3.11", "handlers.oom", zip_dir(FUNCTIONS / "python"), MemorySize=128,
           Timeout=60)
    r, body = invoke(lam, name, {})
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert r["FunctionError"] == "Unhandled"


def test_filling_tmp_stops_at_ephemeral_storage(lam, fns):
    r, body = probe(lam, fns(MemorySize=1024, EphemeralStorage={"Size": 512}), "fill_tmp")
    assert body["error"] == "ENOSPC"
    assert 500 * 2**20 <= body["written"] <= 512 * 2**20


def test_a_gigabyte_on_stdout_is_capped_and_the_call_returns(lam, fns):
    start = time.time()
    r, body = probe(lam, fns(), "stdout_flood", megabytes=1024)
    assert body == "flooded"
    assert time.time() - start < 60
    assert "bytes of log output were dropped" in base64.b64decode(r["LogResult"]).decode()


def host_addresses():
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return [a for a in out if ":" not in a]


def test_no_network_path_out(server, lam, fns):
    fn = fns()
    targets = [("127.0.0.1", server.port, "ECONNREFUSED"),  # the control plane's port
               ("127.0.0.1", 22, "ECONNREFUSED"),
               ("8.8.8.8", 53, "ENETUNREACH"),
               ("169.254.169.254", 80, "ENETUNREACH"),
               ("10.0.0.1", 80, "ENETUNREACH")]
    targets += [(a, server.port, "ENETUNREACH") for a in host_addresses()]
    for host, port, expected in targets:
        _, result = probe(lam, fn, "connect", host=host, port=port)
        assert result == expected, (host, port, result)


def test_cannot_take_over_the_runtime_api_port(lam, fns):
    _, result = probe(lam, fns(), "bind_runtime_api")
    assert result == "EADDRINUSE"


def test_sees_and_can_kill_only_its_own_processes(lam, fns):
    fn = fns()
    _, seen = probe(lam, fn, "processes")
    assert seen["init"] == "kindling-init"
    assert seen["pids"][0] == 1 and len(seen["pids"]) <= 4, seen
    r, body = probe(lam, fn, "kill")
    assert body["alive"] and body["kill_all"] == "ESRCH", body  # nothing else to signal
    _, after = probe(lam, fn, "processes")
    assert after["init"] == "kindling-init"  # init survived the SIGKILL
    assert invoke(lam, fn, {"probe": "hostname"})[1] == "localhost"


def test_daemonized_children_die_with_the_environment(lam, fns):
    fn = fns(Description="daemons")
    seconds = str(random.randint(100000, 999999))
    r, body = probe(lam, fn, "daemon", seconds=int(seconds))
    assert body == "daemon started"

    def running():
        out = subprocess.run(["pgrep", "-f", f"sleep {seconds}"], capture_output=True, text=True)
        return out.stdout.split()

    assert running(), "the daemon should outlive the invocation while the environment lives"
    # Retire the environment: a configuration change replaces it.
    lam.update_function_configuration(FunctionName=fn, Description=seconds)
    deadline = time.time() + 10
    while running() and time.time() < deadline:
        time.sleep(0.1)
    assert running() == []


def test_tmp_is_private_to_each_environment(server, lam, fns):
    fn = fns()
    name = f"marker-{random.randint(0, 10**9)}"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        writer = pool.submit(invoke, lambda_client(server.endpoint), fn,
                             {"probe": "tmp_marker", "name": name, "write": True, "hold": 3})
        time.sleep(1)  # the writer's environment is busy: the reader gets another one
        reader = pool.submit(invoke, lambda_client(server.endpoint), fn,
                             {"probe": "tmp_marker", "name": name})
        assert writer.result()[1]["exists"] is True
        assert reader.result()[1]["exists"] is False
