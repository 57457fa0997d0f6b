"""Custom runtimes (`provided.al2023`): a native C++ function built with kindling/runtime.h,
and a POSIX shell bootstrap that speaks the Runtime API with curl."""
import base64
from pathlib import Path

from conftest import KINDLING, ROOT, create, invoke, unique, zip_bytes, zip_dir

BOOTSTRAP = Path(KINDLING).parent / "examples" / "hello-cpp" / "bootstrap"


def test_native_cpp_function(lam):
    name = unique("cpp")
    create(lam, name, "provided.al2023", "hello",
           zip_bytes({"bootstrap": (BOOTSTRAP.read_bytes(), 0o755)}))
    r, body = invoke(lam, name, {"name": "Ada"}, LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert body == {"message": "Hello, Ada!"}
    assert "REPORT RequestId:" in base64.b64decode(r["LogResult"]).decode()
    r, body = invoke(lam, name, {"error": "bad input"})
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "std::runtime_error"
    assert body["errorMessage"] == "bad input"
    # Warm reuse: the same process answers again.
    assert invoke(lam, name, {})[1] == {"message": "Hello, world!"}


def test_shell_bootstrap(lam):
    name = unique("sh")
    create(lam, name, "provided.al2", "function.handler", zip_dir(ROOT / "examples" / "hello-sh"))
    r, body = invoke(lam, name, {"k": [1, 2]}, LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert body == {"received": {"k": [1, 2]}}
    assert "handling an event of" in base64.b64decode(r["LogResult"]).decode()


def test_missing_bootstrap_is_invalid_entrypoint(lam):
    name = unique("noboot")
    create(lam, name, "provided.al2023", "x", zip_bytes({"readme.txt": "no bootstrap here"}))
    r, body = invoke(lam, name)
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert "Couldn't find valid bootstrap(s)" in body["errorMessage"]


def test_bootstrap_that_exits_during_init(lam):
    name = unique("badboot")
    create(lam, name, "provided.al2023", "x",
           zip_bytes({"bootstrap": ("#!/bin/sh\necho starting; exit 7\n", 0o755)}))
    r, body = invoke(lam, name)
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 7")
