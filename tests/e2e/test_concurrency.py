"""Scaling out: N concurrent invocations get N environments; idle ones are reused."""
import concurrent.futures
import json
import threading

import pytest

from conftest import FUNCTIONS, create, invoke, lambda_client, unique, zip_dir


def test_twenty_concurrent_invokes_each_get_their_own_environment(server):
    lam = lambda_client(server.endpoint)
    name = unique("conc")
    create(lam, name, "python3.11", "handlers.sleep", zip_dir(FUNCTIONS / "python"), Timeout=30)
    barrier = threading.Barrier(20)

    def call(_):
        client = lambda_client(server.endpoint)  # one connection per caller
        barrier.wait()
        r, body = invoke(client, name, {"seconds": 1.5})
        assert r["StatusCode"] == 200 and "FunctionError" not in r, body
        return body["environment"], body["pid"]

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(call, range(20)))
    environments = {e for e, _ in results}
    assert len(environments) == 20
    # Afterwards they are warm: 20 more sequential calls reuse them, creating none.
    again = {invoke(lam, name, {"seconds": 0})[1]["environment"] for _ in range(20)}
    assert again <= environments
