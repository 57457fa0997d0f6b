"""The kindling CLI against the real server: deploy, invoke, ls, logs, rm."""
import json
import os
import subprocess
import time

from conftest import KINDLING, ROOT, unique


def kindling(server, *args, stdin=None, check=True):
    p = subprocess.run([KINDLING, *args, "--endpoint", server.endpoint], input=stdin,
                       capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"kindling {' '.join(args)}: {p.stderr}")
    return p


def test_deploy_invoke_logs_ls_rm(server, tmp_path):
    name = unique("cli")
    src = tmp_path / "fn"
    src.mkdir()
    (src / "main.py").write_text(
        "import os\n"
        "def handler(event, context):\n"
        "    print('log from', context.aws_request_id)\n"
        "    return {'got': event, 'greeting': os.environ.get('GREETING')}\n")
    out = kindling(server, "deploy", str(src), "--name", name, "--runtime", "python3.11",
                   "--handler", "main.handler", "--memory", "256", "--timeout", "5",
                   "--env", "GREETING=hello").stdout
    assert f"deployed {name}" in out and "256 MB" in out

    p = kindling(server, "invoke", name, '{"k": 1}', "--tail")
    assert json.loads(p.stdout) == {"got": {"k": 1}, "greeting": "hello"}
    assert "START RequestId:" in p.stderr and "REPORT RequestId:" in p.stderr

    p = kindling(server, "invoke", name, "-", stdin='{"from": "stdin"}')
    assert json.loads(p.stdout)["got"] == {"from": "stdin"}

    # Redeploying updates code and configuration in place.
    (src / "main.py").write_text("def handler(event, context):\n    return 'v2'\n")
    kindling(server, "deploy", str(src), "--name", name, "--runtime", "python3.11",
             "--handler", "main.handler")
    assert json.loads(kindling(server, "invoke", name).stdout) == "v2"

    ls = kindling(server, "ls").stdout
    assert name in ls and "python3.11" in ls

    deadline = time.time() + 5
    logs = ""
    while time.time() < deadline and "log from" not in logs:
        logs = kindling(server, "logs", name, "--since", "10m").stdout
        time.sleep(0.2)
    assert "log from" in logs and "REPORT RequestId:" in logs

    assert f"deleted {name}" in kindling(server, "rm", name).stdout
    p = kindling(server, "invoke", name, check=False)
    assert p.returncode == 1
    assert p.stderr.strip().startswith("kindling: ResourceNotFoundException: Function not found")
    assert len(p.stderr.strip().splitlines()) == 1


def test_function_error_exits_nonzero_with_the_body(server, tmp_path):
    name = unique("clierr")
    src = tmp_path / "fn"
    src.mkdir()
    (src / "main.py").write_text("def handler(e, c):\n    raise RuntimeError('nope')\n")
    kindling(server, "deploy", str(src), "--name", name, "--runtime", "python3.11",
             "--handler", "main.handler")
    p = kindling(server, "invoke", name, check=False)
    assert p.returncode == 1
    assert json.loads(p.stdout)["errorType"] == "RuntimeError"


def test_logs_follow_streams_new_lines(server, tmp_path):
    name = unique("follow")
    src = tmp_path / "fn"
    src.mkdir()
    (src / "main.py").write_text("def handler(e, c):\n    print('marker', e['n'])\n")
    kindling(server, "deploy", str(src), "--name", name, "--runtime", "python3.11",
             "--handler", "main.handler")
    follower = subprocess.Popen([KINDLING, "logs", name, "--follow", "--endpoint",
                                 server.endpoint], stdout=subprocess.PIPE)
    try:
        time.sleep(0.5)
        kindling(server, "invoke", name, '{"n": 42}')
        deadline = time.time() + 10
        seen = ""
        os.set_blocking(follower.stdout.fileno(), False)
        while time.time() < deadline and "marker 42" not in seen:
            chunk = follower.stdout.read()
            seen += (chunk or b"").decode()
            time.sleep(0.1)
        assert "marker 42" in seen
    finally:
        follower.send_signal(2)
        assert follower.wait(timeout=10) == 0


def test_unreachable_server_is_one_clear_line(tmp_path):
    p = subprocess.run([KINDLING, "ls", "--endpoint", "http://127.0.0.1:1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert p.stderr.strip().startswith("kindling: cannot reach kindling at http://127.0.0.1:1")
    assert len(p.stderr.strip().splitlines()) == 1


def test_endpoint_from_environment(server):
    p = subprocess.run([KINDLING, "ls"], capture_output=True, text=True, timeout=30,
                       env={**os.environ, "KINDLING_ENDPOINT": server.endpoint})
    assert p.returncode == 0 and "NAME" in p.stdout
