"""Reserved concurrency, provisioned concurrency, throttling under overload, and /metrics."""
import base64
import concurrent.futures
import os
import re
import threading
import time
import urllib.request

import botocore.exceptions
import pytest

from conftest import FUNCTIONS, create, invoke, lambda_client, unique, zip_dir

PY = FUNCTIONS / "python"


def metrics(server):
    return urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=10).read().decode()


def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def invoke_status(client, name, payload):
    try:
        r, body = invoke(client, name, payload)
        return 200, body
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response


def concurrently(server, n, name, payload):
    barrier = threading.Barrier(n)

    def one(_):
        client = lambda_client(server.endpoint)
        barrier.wait()
        return invoke_status(client, name, payload)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_reserved_concurrency_caps_and_zero_disables(server, lam):
    name = unique("reserved")
    create(lam, name, "python3.11", "handlers.sleep", zip_dir(PY), Timeout=30)
    before = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    put = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    assert put["ReservedConcurrentExecutions"] == 2
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 2
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 2}
    after = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    assert after == before - 2
    results = concurrently(server, 4, name, {"seconds": 1.5})
    ok = [r for r in results if r[0] == 200]
    throttled = [r for r in results if r[0] == 429]
    assert len(ok) == 2 and len(throttled) == 2, results
    err = throttled[0][1]
    assert err["Error"]["Code"] == "TooManyRequestsException"
    assert err["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    status, body = invoke_status(lam, name, {"seconds": 0})
    assert status == 429
    lam.delete_function_concurrency(FunctionName=name)
    assert lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") is None
    assert invoke_status(lam, name, {"seconds": 0})[0] == 200
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_function_concurrency(FunctionName=f"{name}:1", ReservedConcurrentExecutions=1)


def process_stats(pid):
    status = open(f"/proc/{pid}/status").read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    return rss, threads, len(os.listdir(f"/proc/{pid}/fd"))


def test_ten_times_overload_gets_429s_and_stays_bounded(start_server):
    s = start_server(extra_args=["--max-concurrency", "10"])
    lam = lambda_client(s.endpoint)
    name = unique("overload")
    create(lam, name, "python3.11", "handlers.sleep", zip_dir(PY), Timeout=30, MemorySize=256)
    assert lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 10
    concurrently(s, 10, name, {"seconds": 0})  # warm up to 10 environments
    rss0, threads0, fds0 = process_stats(s.proc.pid)
    for _ in range(3):
        # Long enough that all 100 requests are in before the first admitted one finishes.
        results = concurrently(s, 100, name, {"seconds": 5})
        codes = [c for c, _ in results]
        assert codes.count(200) == 10 and codes.count(429) == 90, sorted(set(codes))
        reasons = {r["Reason"] for c, r in results if c == 429}
        assert reasons == {"ConcurrentInvocationLimitExceeded"}
    rss1, threads1, fds1 = process_stats(s.proc.pid)
    assert threads1 == threads0
    assert fds1 <= fds0 + 4
    assert rss1 < rss0 + 20 * 1024  # KiB
    assert s.proc.poll() is None
    assert metric(metrics(s), "kindling_throttles_total", function=name) == 270


def test_provisioned_concurrency_keeps_initialised_environments(start_server):
    s = start_server(extra_args=["--idle-timeout", "1s"])
    lam = lambda_client(s.endpoint)
    name = unique("prov")
    create(lam, name, "python3.11", "handlers.echo", zip_dir(PY))
    v = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST",
                                               ProvisionedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                                 ProvisionedConcurrentExecutions=2)
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] in ("IN_PROGRESS", "READY")
    deadline = time.time() + 20
    while time.time() < deadline:
        got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
        if got["Status"] == "READY":
            break
        time.sleep(0.1)
    assert got["Status"] == "READY" and got["AllocatedProvisionedConcurrentExecutions"] == 2
    text = metrics(s)
    assert metric(text, "kindling_provisioned_environments", function=name, version=v) == 2
    time.sleep(3)  # longer than the idle timeout: provisioned environments stay
    r, body = invoke(lam, f"{name}:live", LogType="Tail")
    assert body["init_type"] == "provisioned-concurrency"
    assert "Init Duration" not in base64.b64decode(r["LogResult"]).decode()  # no cold start
    assert metric(metrics(s), "kindling_cold_starts_total", function=name) == 0
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed["ProvisionedConcurrencyConfigs"]] \
        == ["live"]
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    time.sleep(3)  # now ordinary environments: reaped after the idle timeout
    assert metric(metrics(s), "kindling_environments", function=name, version=v,
                  state="idle") == 0


def test_metrics_count_invocations_errors_cold_starts_and_init(server, lam):
    ok, bad = unique("m-ok"), unique("m-bad")
    create(lam, ok, "python3.11", "handlers.echo", zip_dir(PY))
    create(lam, bad, "python3.11", "handlers.fail", zip_dir(PY))
    for _ in range(3):
        invoke(lam, ok)
    invoke(lam, bad)
    text = metrics(server)
    assert "# TYPE kindling_invocations_total counter" in text
    assert metric(text, "kindling_invocations_total", function=ok) == 3
    assert metric(text, "kindling_cold_starts_total", function=ok) == 1
    assert metric(text, "kindling_init_duration_seconds_count", function=ok) == 1
    assert metric(text, "kindling_init_duration_seconds_sum", function=ok) > 0
    assert metric(text, "kindling_function_errors_total", function=bad) == 1
    assert metric(text, "kindling_function_errors_total", function=ok) == 0
    assert metric(text, "kindling_environments", function=ok, version="$LATEST", state="idle") == 1
    assert metric(text, "kindling_concurrent_executions", function=ok) == 0
