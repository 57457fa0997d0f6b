"""Handler load failures: /runtime/init/error payload, header, log, exit(1)."""

import json
import os

import pytest

from conftest import FIXTURES, PREFIX, Event

WARNING = "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue"


def _init_failure(run, handler):
    r = run(handler, [Event()], timeout=15)
    assert r.exited_by_itself, r.output
    assert r.returncode == 1
    post = r.init_error
    assert post is not None, r.requests
    assert post.path == PREFIX + "/init/error"
    # Nothing else was attempted: no GET /next after a failed init.
    assert [req.method for req in r.requests] == ["POST"]
    body = json.loads(post.body)
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == body["errorType"]
    assert body["requestId"] == ""
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    return r, body


@pytest.mark.parametrize("handler, error_type, message", [
    ("app", "Runtime.MalformedHandlerName",
     "Bad handler 'app': not enough values to unpack (expected 2, got 1)"),
    ("nope.handler", "Runtime.ImportModuleError",
     "Unable to import module 'nope': No module named 'nope'"),
    ("imports_missing.handler", "Runtime.ImportModuleError",
     "Unable to import module 'imports_missing': "
     "No module named 'kindling_definitely_missing_dep'"),
    ("missing_dir/mod.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing_dir/mod': No module named 'missing_dir'"),
    ("app.no_such_function", "Runtime.HandlerNotFound",
     "Handler 'no_such_function' missing on module 'app'"),
    ("sys.handler", "Runtime.BuiltInModuleConflict",
     "Cannot use built-in module sys as a handler module"),
])
def test_load_errors(run, handler, error_type, message):
    r, body = _init_failure(run, handler)
    assert body == {"errorMessage": message, "errorType": error_type,
                    "requestId": "", "stackTrace": []}
    # Logged as awslambdaric does: a root-logger warning, then the error line.
    assert ("[ERROR] %s: %s\rTraceback (most recent call last):\n"
            % (error_type, message)) in r.output
    assert "[WARNING]\t" in r.output and WARNING in r.output
    assert r.output.index(WARNING) < r.output.index("[ERROR] ")


def test_syntax_error(run):
    r, body = _init_failure(run, "syntax_error.handler")
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert body["errorMessage"].startswith("Syntax error in module 'syntax_error': ")
    assert "(syntax_error.py, line 2)" in body["errorMessage"]
    path = os.path.join(FIXTURES, "syntax_error.py")
    assert body["stackTrace"] == [
        '  File "%s" Line 2\n        return {"oops": \n' % path]
    assert "[ERROR] Runtime.UserCodeSyntaxError: Syntax error in module" in r.output


def test_module_level_exception_reports_the_exception_class(run):
    r, body = _init_failure(run, "module_raises.handler")
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "module level failure"
    last = body["stackTrace"][-1]
    assert last == ('  File "%s", line 5, in <module>\n'
                    '    raise ValueError("module level failure")\n'
                    % os.path.join(FIXTURES, "module_raises.py"))
    # Like awslambdaric: importlib's frames stay, the runtime's own do not.
    assert "importlib" in body["stackTrace"][0]
    assert not any("kindling_ric" in f for f in body["stackTrace"])
    assert "[ERROR] ValueError: module level failure\rTraceback" in r.output


def test_init_error_post_failure_still_exits_non_zero(run):
    r = run("nope.handler", [Event()], timeout=10,
            status_overrides={("POST", "/init/error"): 500})
    assert r.exited_by_itself
    assert r.returncode != 0
