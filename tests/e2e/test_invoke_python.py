"""Invoking Python handlers through boto3: results, context, logs, errors and limits."""
import base64
import json
import time

import botocore.exceptions
import pytest

from conftest import FUNCTIONS, create, function_factory, invoke, unique, zip_dir

PY = FUNCTIONS / "python"


@pytest.fixture(scope="module")
def fn(lam):
    return function_factory(lam, "python3.11", PY)


def test_sync_invoke_returns_the_result_and_full_context(lam, fn):
    name = fn("handlers.echo", Timeout=5, Environment={"Variables": {"GREETING": "hi"}})
    r, body = invoke(lam, name, {"hello": "world"})
    assert r["StatusCode"] == 200
    assert r["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in r
    assert body["event"] == {"hello": "world"}
    assert body["function_name"] == name
    assert body["function_version"] == "$LATEST"
    assert body["memory"] == "128"
    assert body["invoked_arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert body["log_group"] == f"/aws/lambda/{name}"
    assert "/[$LATEST]" in body["log_stream"]
    assert 0 < body["remaining_ms"] <= 5000
    assert body["env_var"] == "hi"
    assert body["trace"].startswith("Root=1-")
    assert body["handler_env"] == "handlers.echo"
    assert body["credentials"] and body["region"] == "us-east-1"
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == body["request_id"]


def test_warm_environment_keeps_module_state(lam, fn):
    name = fn("handlers.echo")
    _, first = invoke(lam, name)
    _, second = invoke(lam, name)
    assert second["environment"] == first["environment"]
    assert second["count"] == first["count"] + 1


def test_empty_payload_becomes_an_empty_object(lam, fn):
    name = fn("handlers.echo")
    r = lam.invoke(FunctionName=name)
    assert json.loads(r["Payload"].read())["event"] == {}


def test_none_result_is_null(lam, fn):
    r = lam.invoke(FunctionName=fn("handlers.returns_none"), Payload=b"{}")
    assert r["Payload"].read() == b"null"


def test_dry_run_does_not_invoke(lam, fn):
    name = fn("handlers.echo")
    _, before = invoke(lam, name)
    r = lam.invoke(FunctionName=name, InvocationType="DryRun", Payload=b"{}")
    assert r["StatusCode"] == 204
    _, after = invoke(lam, name)
    assert after["count"] == before["count"] + 1


def test_dry_run_of_a_missing_function_is_404(lam):
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="no-such-function", InvocationType="DryRun")


def test_event_invocation_is_accepted(lam, fn):
    r = lam.invoke(FunctionName=fn("handlers.echo"), InvocationType="Event", Payload=b"{}")
    assert r["StatusCode"] == 202


def test_tail_returns_the_last_4kb_of_this_invocations_log(lam, fn):
    name = fn("handlers.chatty")
    r, body = invoke(lam, name, {"lines": 3}, LogType="Tail")
    log = base64.b64decode(r["LogResult"]).decode()
    rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert f"START RequestId: {rid} Version: $LATEST" in log
    assert f"line 2 of {rid}" in log
    assert f"END RequestId: {rid}" in log
    report = [l for l in log.splitlines() if l.startswith("REPORT")][0]
    for field in ("Duration:", "Billed Duration:", "Memory Size: 128 MB", "Max Memory Used:"):
        assert field in report
    assert len(base64.b64decode(r["LogResult"])) <= 4096


def test_first_invocation_reports_init_duration_last(lam):
    name = unique("py-init")
    create(lam, name, "python3.11", "handlers.echo", zip_dir(PY))
    r, _ = invoke(lam, name, LogType="Tail")
    report = [l for l in base64.b64decode(r["LogResult"]).decode().splitlines()
              if l.startswith("REPORT")][0]
    assert report.rstrip("\t").split("\t")[-1].startswith("Init Duration:")
    r, _ = invoke(lam, name, LogType="Tail")
    assert "Init Duration" not in base64.b64decode(r["LogResult"]).decode()


def test_client_context_reaches_the_handler_decoded(lam, fn):
    cc = {"client": {"installation_id": "i", "app_title": "MyApp", "app_version_name": "1",
                     "app_version_code": "1", "app_package_name": "p"},
          "custom": {"k": "v"}, "env": {"platform": "x"}}
    _, body = invoke(lam, fn("handlers.echo"),
                     ClientContext=base64.b64encode(json.dumps(cc).encode()).decode())
    assert body["client_custom"] == {"k": "v"}
    assert body["client_app"] == "MyApp"


def test_handler_exception_is_a_function_error(lam, fn):
    r, body = invoke(lam, fn("handlers.fail"))
    assert r["StatusCode"] == 200
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "boom"
    assert any("handlers.py" in frame for frame in body["stackTrace"])
    r, body = invoke(lam, fn("handlers.custom_fail"))
    assert body["errorType"] == "MyError"


def test_timeout_kills_the_environment_and_the_next_call_gets_a_fresh_one(lam, fn):
    name = fn("handlers.sleep", Timeout=1)
    _, warm = invoke(lam, name, {"seconds": 0})
    start = time.time()
    r, body = invoke(lam, name, {"seconds": 10})
    elapsed = time.time() - start
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert body["errorMessage"].startswith("RequestId: ")
    assert 0.9 < elapsed < 5
    _, after = invoke(lam, name, {"seconds": 0})
    assert after["environment"] != warm["environment"]


def test_timeout_is_logged_with_status(lam, fn):
    name = fn("handlers.sleep", Timeout=1)
    r, _ = invoke(lam, name, {"seconds": 5}, LogType="Tail")
    log = base64.b64decode(r["LogResult"]).decode()
    assert "Task timed out after 1.00 seconds" in log
    assert "Status: timeout" in log


def test_out_of_memory_ends_only_that_invocation(lam, fn):
    name = fn("handlers.oom", MemorySize=128, Timeout=30)
    start = time.time()
    r, body = invoke(lam, name, LogType="Tail")
    assert time.time() - start < 20  # killed by the memory limit, not the timeout
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in body["errorMessage"]
    log = base64.b64decode(r["LogResult"]).decode()
    assert "Error Type: Runtime.OutOfMemory" in log
    echo = fn("handlers.echo")
    assert invoke(lam, echo)[0]["StatusCode"] == 200


def test_runtime_exit_is_reported_and_replaced(lam, fn):
    name = fn("handlers.crash")
    r, body = invoke(lam, name)
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    r, body = invoke(lam, name)  # a fresh environment crashes the same way
    assert body["errorType"] == "Runtime.ExitError"


def test_segfault_is_reported_as_a_signal(lam, fn):
    r, body = invoke(lam, fn("handlers.segfault"))
    assert body["errorType"] == "Runtime.ExitError"
    assert "signal: segmentation fault" in body["errorMessage"]


def test_import_error_is_reported_as_lambda_does(lam, fn):
    r, body = invoke(lam, fn("broken_import.handler"))
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == ("Unable to import module 'broken_import': No module named "
                                    "'module_that_does_not_exist'")


def test_missing_handler_is_reported(lam, fn):
    r, body = invoke(lam, fn("handlers.missing"))
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "Handler 'missing' missing on module 'handlers'"


def test_handler_in_a_subdirectory(lam, fn):
    _, body = invoke(lam, fn("pkg/mod.handler"))
    assert body == {"from": "pkg/mod"}


def test_request_over_6mb_is_413_before_the_function_runs(lam, fn):
    name = fn("handlers.echo")
    payload = json.dumps({"x": "a" * (6 * 1024 * 1024)}).encode()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=name, Payload=payload)
    assert e.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "6291456" in e.value.response["Error"]["Message"]


def test_request_just_under_6mb_is_accepted(lam, fn):
    payload = json.dumps({"x": "a" * (6291456 - 100)}).encode()
    r = lam.invoke(FunctionName=fn("handlers.returns_none"), Payload=payload)
    assert r["StatusCode"] == 200 and "FunctionError" not in r


def test_response_over_the_limit_is_a_function_error(lam, fn):
    name = fn("handlers.big")
    r, body = invoke(lam, name, {"size": 7 * 1024 * 1024})
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    assert "6291556" in body["errorMessage"]
    r, body = invoke(lam, name, {"size": 1000})
    assert body == "x" * 1000


def test_non_json_payload_is_rejected(lam, fn):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName=fn("handlers.echo"), Payload=b"not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_log_flood_is_capped_and_the_call_returns(lam, fn):
    r, body = invoke(lam, fn("handlers.flood", Timeout=30), {"chunks": 400}, LogType="Tail")
    assert body == "flooded"
    assert "bytes of log output were dropped" in base64.b64decode(r["LogResult"]).decode()


def test_published_version_and_qualifiers(lam):
    name = unique("py-ver")
    create(lam, name, "python3.11", "handlers.echo", zip_dir(PY))
    v = lam.publish_version(FunctionName=name)["Version"]
    r, body = invoke(lam, name, Qualifier=v)
    assert r["ExecutedVersion"] == v
    assert body["function_version"] == v
    assert body["invoked_arn"].endswith(f":{name}:{v}")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v)
    r, body = invoke(lam, f"{name}:live")
    assert r["ExecutedVersion"] == v
    assert body["invoked_arn"].endswith(f":{name}:live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=name, Qualifier="99")
