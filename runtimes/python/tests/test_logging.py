"""Function log output: text/JSON formats, levels, stdio, ordering, laziness."""

import datetime
import json
import re

from conftest import FIXTURES, Event

TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def rec_line(text):
    with open(FIXTURES + "/app.py") as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def _lines(output):
    return output.split("\n")


def test_text_format_lines_carry_level_timestamp_and_request_id(run):
    r = run("app.log_things", [Event(request_id="rid-123")])
    assert r.post_for("rid-123").body == b'"logged"'
    lines = _lines(r.output)
    assert "plain print line" in lines  # print() is not prefixed
    assert any(re.fullmatch(r"\[WARNING\]\t%s\trid-123\twarning from handler" % TS, line)
               for line in lines), r.output
    assert any(re.fullmatch(r"\[ERROR\]\t%s\trid-123\tchild error 42" % TS, line)
               for line in lines), r.output
    # The root logger keeps Python's default WARNING level.
    assert "info from handler" not in r.output
    assert "context.log line" in lines
    assert "stderr line" in lines


def test_log_level_env_sets_root_level(run):
    r = run("app.log_things", [Event()], env={"AWS_LAMBDA_LOG_LEVEL": "INFO"})
    assert re.search(r"\[INFO\]\t%s\treq-1\tinfo from handler\n" % TS, r.output)
    r = run("app.log_things", [Event()], env={"AWS_LAMBDA_LOG_LEVEL": "ERROR"})
    assert "warning from handler" not in r.output
    assert "child error 42" in r.output


def test_log_timestamps_are_utc(run):
    r = run("app.log_things", [Event()], env={"TZ": "America/New_York"})
    m = re.search(r"\[WARNING\]\t(%s)\t" % TS, r.output)
    assert m
    stamp = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
    now = datetime.datetime.utcnow()
    assert abs((now - stamp).total_seconds()) < 120


def test_json_format(run):
    r = run("app.log_things", [Event()],
            env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})
    records = [json.loads(line) for line in _lines(r.output) if line.startswith("{")]
    by_message = {rec["message"]: rec for rec in records}
    warning = by_message["warning from handler"]
    assert re.fullmatch(TS, warning.pop("timestamp"))
    assert warning == {"level": "WARNING", "message": "warning from handler",
                       "logger": "root", "requestId": "req-1"}
    assert by_message["info from handler"]["level"] == "INFO"
    assert by_message["child error 42"]["logger"] == "child"
    assert "plain print line" in _lines(r.output)


def test_json_format_exception_fields(run):
    r = run("app.log_exception", [Event()], env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
    rec = next(json.loads(line) for line in _lines(r.output) if "caught it" in line)
    assert rec["level"] == "ERROR"
    assert rec["errorType"] == "KeyError"
    assert rec["errorMessage"] == "'k'"
    assert rec["stackTrace"][0].startswith('  File "')
    assert rec["location"].endswith(":log_exception:%d" % rec_line("logger.exception"))


def test_json_format_error_report(run):
    r = run("app.raise_exception", [Event()], env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
    rec = next(json.loads(line) for line in _lines(r.output)
               if line.startswith("{") and '"errorType"' in line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rec["timestamp"])
    assert rec["level"] == "ERROR"
    assert rec["errorType"] == "Exception"
    assert rec["errorMessage"] == "boom"
    assert rec["requestId"] == "req-1"
    assert len(rec["stackTrace"]) == 1


def test_output_reaches_the_pipe_before_the_response_is_posted(run):
    r = run("app.sleepy_print", [Event()])
    post = r.post_for("req-1")
    assert b"printed before response" in post.output_at_arrival


def test_stdout_is_unbuffered_while_the_handler_runs(run):
    r = run("app.stdout_size_after_print", [Event()])
    assert r.json_for("req-1") == [len("unbuffered marker\n"),
                                   len("[WARNING]\t2024-01-01T00:00:00.000Z\treq-1\t"
                                       "logged marker\n")]


def test_error_log_reaches_the_pipe_before_the_error_is_posted(run):
    r = run("app.raise_exception", [Event()])
    assert b"[ERROR] Exception: boom" in r.post_for("req-1").output_at_arrival


def test_logging_is_not_imported_unless_the_function_does(run):
    r = run("no_logging.heavy_modules", [Event()])
    assert r.json_for("req-1") == []


def test_late_logging_import_is_configured_like_awslambdaric(run):
    r = run("no_logging.late_logging", [Event()])
    assert r.json_for("req-1") == ["LambdaLoggerHandler"]
    assert re.search(r"\[WARNING\]\t%s\treq-1\tlate warning\n" % TS, r.output)
