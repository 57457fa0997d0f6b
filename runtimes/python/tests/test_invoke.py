"""End-to-end tests of the invoke loop: results, errors, context, connection."""

import json
import os
import time

from conftest import FIXTURES, PREFIX, Event

APP = os.path.join(FIXTURES, "app.py")


def _line_of(path, text):
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number
    raise AssertionError(text)


# ---- successful results -----------------------------------------------------

def test_dict_result_is_posted_with_awslambdaric_separators(run):
    r = run("app.echo", [Event({"a": 1, "b": [1, 2]})])
    post = r.post_for("req-1")
    assert post.path == PREFIX + "/invocation/req-1/response"
    assert post.body == b'{"event": {"a": 1, "b": [1, 2]}, "type": "dict"}'
    assert post.headers["Content-Type"] == "application/json"
    assert "Lambda-Runtime-Function-Error-Type" not in post.headers


def test_large_event_and_response_bodies(run):
    big = "x" * 3000000
    r = run("app.echo", [Event({"big": big})])
    post = r.post_for("req-1")
    assert int(post.headers["Content-Length"]) == len(post.body)
    assert post.body == ('{"event": {"big": "%s"}, "type": "dict"}' % big).encode()


def test_none_result_is_null(run):
    r = run("app.returns_none", [Event()])
    assert r.post_for("req-1").body == b"null"


def test_str_result_is_a_json_string(run):
    r = run("app.returns_str", [Event()])
    assert r.post_for("req-1").body == b'"hello"'


def test_list_result(run):
    r = run("app.returns_list", [Event()])
    assert r.post_for("req-1").body == b'[1, "two", 3.5, null, true]'


def test_bytes_result_is_sent_raw_as_application_unknown(run):
    r = run("app.returns_bytes", [Event()])
    post = r.post_for("req-1")
    assert post.body == b"\x00raw bytes\xff"
    assert post.headers["Content-Type"] == "application/unknown"


def test_decimal_bytes_namedtuple_and_non_ascii_encode_like_simplejson(run):
    r = run("app.returns_special", [Event()])
    assert r.post_for("req-1").body == (
        b'{"decimal": 1.10, "nan_decimal": NaN, "bytes": "abc", '
        b'"unicode": "caf\\u00e9", "float": 0.1, "inf": Infinity, '
        b'"nested": [{"x": 1, "y": 2}]}')


def test_non_json_content_type_passes_the_payload_as_bytes(run):
    r = run("app.echo", [Event(b"plain text", content_type="text/plain"),
                         Event(b'{"a": 1}', content_type=None),
                         Event(b'{"a": 1}', content_type="application/json")])
    assert r.json_for("req-1") == {"event": "plain text", "type": "bytes"}
    assert r.json_for("req-2") == {"event": '{"a": 1}', "type": "bytes"}
    assert r.json_for("req-3") == {"event": {"a": 1}, "type": "dict"}


def test_invalid_json_payload_is_an_unmarshal_error(run):
    r = run("app.echo", [Event(b"not json")])
    post = r.post_for("req-1")
    assert post.path.endswith("/req-1/error")
    assert json.loads(post.body) == {
        "errorMessage": "Unable to unmarshal input: Expecting value: "
                        "line 1 column 1 (char 0)",
        "errorType": "Runtime.UnmarshalError",
        "requestId": "req-1",
        "stackTrace": [],
    }


def test_unserialisable_result_is_a_marshal_error(run):
    r = run("app.not_serialisable", [Event()])
    post = r.post_for("req-1")
    assert post.path.endswith("/req-1/error")
    assert json.loads(post.body) == {
        "errorMessage": "Unable to marshal response: Object of type set is not "
                        "JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": "req-1",
        "stackTrace": [],
    }
    assert ("[ERROR] Runtime.MarshalError: Unable to marshal response: Object of "
            "type set is not JSON serializable\rTraceback (most recent call last):\n"
            ) in r.output


# ---- handler errors -----------------------------------------------------------

def test_handler_exception_payload_and_log(run):
    r = run("app.raise_exception", [Event()])
    post = r.post_for("req-1")
    assert post.path == PREFIX + "/invocation/req-1/error"
    assert "Lambda-Runtime-Function-Error-Type" not in post.headers
    line = _line_of(APP, 'raise Exception("boom")')
    frame = ('  File "%s", line %d, in raise_exception\n'
             '    raise Exception("boom")\n' % (APP, line))
    # Byte-exact: awslambdaric's ", " / ": " separators and key order.
    assert post.body == json.dumps({
        "errorMessage": "boom", "errorType": "Exception", "requestId": "req-1",
        "stackTrace": [frame]}).encode()
    nbsp = "\u00a0"
    expected_log = ("[ERROR] Exception: boom\rTraceback (most recent call last):\r"
                    + nbsp * 2 + 'File "%s", line %d, in raise_exception\r' % (APP, line)
                    + nbsp * 4 + 'raise Exception("boom")\n')
    assert expected_log in r.output
    cause = json.loads(post.headers["Lambda-Runtime-Function-XRay-Error-Cause"])
    assert cause["exceptions"][0]["type"] == "Exception"
    assert cause["exceptions"][0]["stack"][0] == {
        "label": "raise_exception", "path": APP, "line": line}


def test_custom_exception_class_name_and_all_user_frames(run):
    r = run("app.raise_custom", [Event()])
    body = r.json_for("req-1")
    assert body["errorType"] == "MyCustomError"
    assert body["errorMessage"] == "custom failure"
    assert body["requestId"] == "req-1"
    assert [f.split(", in ")[1].split("\n")[0] for f in body["stackTrace"]] == [
        "raise_custom", "helper"]
    assert all(f.startswith('  File "%s", line ' % APP) for f in body["stackTrace"])
    # the runtime's own frames are not shown
    assert "kindling_ric" not in json.dumps(body)


def test_stack_frames_have_no_python311_caret_lines(run):
    r = run("app.divide", [Event({"zero": 0})])
    body = r.json_for("req-1")
    assert body["errorType"] == "ZeroDivisionError"
    line = _line_of(APP, "total = 10 + 5 /")
    assert body["stackTrace"] == [
        '  File "%s", line %d, in divide\n'
        '    total = 10 + 5 / event.get("zero", 0) + 1\n' % (APP, line)]


def test_deep_stack_error_is_posted_and_the_xray_cause_is_capped(run):
    r = run("app.recurse", [Event(), Event()])
    post = r.post_for("req-1")
    body = json.loads(post.body)
    assert body["errorType"] == "RecursionError"
    # traceback.format_list folds the repeats, as in awslambdaric's payload...
    assert body["stackTrace"][-1].startswith("  [Previous line repeated ")
    # ...but the X-Ray cause lists every frame: too big, so it is sent empty.
    assert post.headers["Lambda-Runtime-Function-XRay-Error-Cause"] == ""
    assert r.json_for("req-2")["errorType"] == "RecursionError"


def test_process_survives_errors_and_keeps_serving(run):
    r = run("app.echo", [Event(b"bad json"), Event({"ok": 1})])
    assert r.post_for("req-1").path.endswith("/error")
    assert r.json_for("req-2") == {"event": {"ok": 1}, "type": "dict"}
    assert not r.exited_by_itself


# ---- handler strings ------------------------------------------------------------

def test_dir_slash_file_handler(run):
    r = run("subdir/nested.handler", [Event()])
    assert r.json_for("req-1") == {"where": "subdir.nested"}


def test_dotted_package_handler(run):
    r = run("pkg.mod.handler", [Event()])
    assert r.json_for("req-1") == {"where": "pkg.mod"}


def test_argv_overrides_handler_env(run):
    r = run("app.returns_none", [Event()], argv=["app.returns_str"])
    assert r.post_for("req-1").body == b'"hello"'


# ---- state, context, environment ---------------------------------------------

def test_module_state_survives_between_invokes(run):
    r = run("app.counter", [Event(), Event(), Event()])
    results = [r.json_for("req-%d" % i) for i in (1, 2, 3)]
    assert [x["calls"] for x in results] == [1, 2, 3]
    assert len({x["pid"] for x in results}) == 1
    assert len({x["loaded_at"] for x in results}) == 1


def test_context_fields_round_trip(run):
    client_context = {
        "client": {"installation_id": "inst-1", "app_title": "My App",
                   "app_version_name": "1.0", "app_version_code": "100",
                   "app_package_name": "com.example"},
        "custom": {"k": "v"},
        "env": {"platform": "Android"},
        "w3c": {"traceparent": "00-abc-def-01", "ignored": "x"},
    }
    deadline = int(time.time() * 1000) + 10000
    r = run("app.context_dump", [
        Event(deadline_ms=deadline, request_id="11111111-2222-3333-4444-555555555555",
              headers={
                  "Lambda-Runtime-Trace-Id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;"
                                             "Parent=9a9197af755a6419;Sampled=1",
                  "Lambda-Runtime-Client-Context": json.dumps(client_context),
                  "Lambda-Runtime-Cognito-Identity": json.dumps(
                      {"cognitoIdentityId": "cid-1", "cognitoIdentityPoolId": "pool-1"}),
                  "Lambda-Runtime-Aws-Tenant-Id": "tenant-7",
              }),
        Event(),
    ])
    ctx = r.json_for("11111111-2222-3333-4444-555555555555")
    assert 5000 < ctx.pop("remaining") <= 10000
    assert ctx == {
        "function_name": "fixture",
        "function_version": "$LATEST",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:fixture",
        "memory_limit_in_mb": "256",
        "memory_type": "str",  # awslambdaric passes the env string through
        "aws_request_id": "11111111-2222-3333-4444-555555555555",
        "log_group_name": "/aws/lambda/fixture",
        "log_stream_name": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "tenant_id": "tenant-7",
        "identity": {"id": "cid-1", "pool": "pool-1"},
        "client_context": {
            "client": client_context["client"],
            "custom": {"k": "v"},
            "env": {"platform": "Android"},
        },
        "w3c": {"traceparent": "00-abc-def-01"},
        "trace_env": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;"
                     "Parent=9a9197af755a6419;Sampled=1",
        "sys_path_0": FIXTURES,
        "cwd": FIXTURES,
        "stdout_type": "Unbuffered",
        "logging_handlers": ["LambdaLoggerHandler"],
    }
    # Second invoke without the optional headers: nothing leaks over.
    second = r.json_for("req-2")
    assert second["trace_env"] is None
    assert second["client_context"] is None
    assert second["identity"] == {"id": None, "pool": None}
    assert second["tenant_id"] is None
    assert second["aws_request_id"] == "req-2"


def test_past_deadline_gives_zero_remaining_time(run):
    r = run("app.context_dump", [Event(deadline_ms=int(time.time() * 1000) - 5000)])
    assert r.json_for("req-1")["remaining"] == 0


def test_bad_client_context_header_is_a_context_unmarshal_error(run):
    r = run("app.context_dump",
            [Event(headers={"Lambda-Runtime-Client-Context": "{not json"})])
    body = r.json_for("req-1")
    assert body["errorType"] == "Runtime.LambdaContextUnmarshalError"
    assert body["errorMessage"].startswith("Unable to parse Client Context JSON: ")


# ---- connection handling and Runtime API failures -----------------------------

def test_one_keep_alive_connection_is_reused(run):
    r = run("app.counter", [Event(), Event(), Event()])
    assert len(r.requests) >= 7  # 3 x (GET + POST) + the parked GET
    assert len({req.client_port for req in r.requests}) == 1
    assert [req.method for req in r.requests[:6]] == ["GET", "POST"] * 3


def test_next_returning_500_exits_non_zero_promptly(run):
    r = run("app.echo", [Event()], status_overrides={("GET", "/invocation/next"): 500},
            timeout=10)
    assert r.exited_by_itself
    assert r.returncode != 0
    assert r.elapsed < 5
    assert len(r.requests) == 1
    assert "Runtime API failure" in r.output


def test_response_post_failure_exits_non_zero(run):
    r = run("app.echo", [Event(), Event()], expected_posts=0, timeout=10,
            status_overrides={("POST", "/response"): 500})
    assert r.exited_by_itself
    assert r.returncode != 0
    assert [req.method for req in r.requests] == ["GET", "POST"]


def test_missing_request_id_header_exits_non_zero(run):
    r = run("app.echo", [Event(headers={"Lambda-Runtime-Aws-Request-Id": ""})],
            expected_posts=0, timeout=10)
    assert r.exited_by_itself
    assert r.returncode != 0
    assert r.posts == []


def test_unreachable_runtime_api_exits_non_zero(run):
    r = run("app.echo", [], env={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1"},
            timeout=10)
    assert r.exited_by_itself
    assert r.returncode != 0
