"""Invoking Node.js handlers: CommonJS and ESM, async and callback, errors, timeouts, crashes."""
import base64
import json
import time

import pytest

from conftest import FUNCTIONS, create, function_factory, invoke, unique, zip_dir

NODE = FUNCTIONS / "node"
RUNTIME = "nodejs20.x"


@pytest.fixture(scope="module")
def fn(lam):
    return function_factory(lam, RUNTIME, NODE)


def test_async_commonjs_handler_with_context(lam, fn):
    name = fn("index.echo", Timeout=6)
    r, body = invoke(lam, name, {"a": 1}, LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert body["event"] == {"a": 1}
    assert body["functionName"] == name
    assert body["functionVersion"] == "$LATEST"
    assert body["memory"] == "128"
    assert body["invokedArn"].endswith(f":function:{name}")
    assert 0 < body["remaining"] <= 6000
    assert body["execEnv"] == "AWS_Lambda_nodejs20.x"
    assert body["requestId"] == r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    log = base64.b64decode(r["LogResult"]).decode()
    assert f"\t{body['requestId']}\tINFO\techo called" in log


def test_module_state_survives_between_invocations(lam, fn):
    name = fn("index.echo")
    _, a = invoke(lam, name)
    _, b = invoke(lam, name)
    assert a["environment"] == b["environment"] and b["count"] == a["count"] + 1


def test_callback_handler(lam, fn):
    _, body = invoke(lam, fn("index.callback"), {"x": 2})
    assert body == {"style": "callback", "got": {"x": 2}}


def test_esm_handler(lam, fn):
    _, body = invoke(lam, fn("esm/app.handler"), {"y": 3})
    assert body == {"module": "esm", "echo": {"y": 3}}


def test_undefined_result_is_null(lam, fn):
    r = lam.invoke(FunctionName=fn("index.undef"), Payload=b"{}")
    assert r["Payload"].read() == b"null"


def test_errors_use_trace_and_the_error_name(lam, fn):
    r, body = invoke(lam, fn("index.fail"))
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Error"
    assert body["errorMessage"] == "node boom"
    assert isinstance(body["trace"], list) and body["trace"][0].startswith("Error: node boom")
    _, body = invoke(lam, fn("index.custom"))
    assert body["errorType"] == "ValidationFailed"
    _, body = invoke(lam, fn("index.callbackError"))
    assert body["errorType"] == "TypeError" and body["errorMessage"] == "bad callback"


def test_missing_module_and_handler(lam, fn):
    r, body = invoke(lam, fn("nope.handler"))
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    _, body = invoke(lam, fn("index.notThere"))
    assert body["errorType"] == "Runtime.HandlerNotFound"


def test_timeout_and_crash(lam, fn):
    start = time.time()
    r, body = invoke(lam, fn("index.sleep", Timeout=1), {"seconds": 10})
    assert body["errorType"] == "Sandbox.Timedout" and time.time() - start < 5
    r, body = invoke(lam, fn("index.crash"))
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("exit status 2")
