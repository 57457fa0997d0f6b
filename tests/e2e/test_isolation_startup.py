"""Honest start-up: kindling says which isolation layers are active, refuses to start on a host
that lacks one unless the operator names what is lost, and then runs with a loud warning."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import FUNCTIONS, KINDLING, Server, create, invoke, lambda_client, unique, zip_dir

ALL_BUT_SECCOMP = "pid-ns,mount-ns,net-ns,ipc-ns,uts-ns,cgroup-ns,uid,cgroups"


@pytest.fixture
def nobody_dir():
    d = tempfile.mkdtemp(prefix="kindling-nobody-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def as_nobody(*args, timeout=20):
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", KINDLING, *args]


def test_root_server_reports_every_layer(server):
    log = server.logs()
    assert ("isolation of every execution environment: pid-ns, mount-ns, net-ns, ipc-ns, "
            "uts-ns, cgroup-ns, uid, seccomp, cgroups") in log
    assert "REDUCED ISOLATION" not in log


def test_a_host_lacking_layers_is_refused_without_the_flag(nobody_dir):
    p = subprocess.run(as_nobody("serve", "--listen", "127.0.0.1:0", "--data-dir",
                                 f"{nobody_dir}/data"),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "cannot give execution environments these isolation layers" in p.stderr
    assert f"--reduced-isolation={ALL_BUT_SECCOMP}" in p.stderr


def test_reduced_isolation_runs_when_the_operator_names_the_loss(nobody_dir):
    s = Server(os.path.join(nobody_dir, "data"),
               extra_args=["--reduced-isolation", ALL_BUT_SECCOMP])
    s.log_path = os.path.join(nobody_dir, "server.log")
    s.data_dir.parent.mkdir(exist_ok=True)
    log = open(s.log_path, "wb")
    s.proc = subprocess.Popen(as_nobody("serve", "--listen", f"127.0.0.1:{s.port}", "--data-dir",
                                        str(s.data_dir), "--reduced-isolation", ALL_BUT_SECCOMP),
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 20
        lam = lambda_client(s.endpoint)
        while time.time() < deadline:
            try:
                lam.list_functions()
                break
            except Exception:
                time.sleep(0.1)
        name = unique("reduced")
        create(lam, name, "python3.11", "handlers.echo", zip_dir(FUNCTIONS / "python"))
        r, body = invoke(lam, name, {"x": 1})
        assert r["StatusCode"] == 200 and body["event"] == {"x": 1}
        text = open(s.log_path).read()
        assert "isolation of every execution environment: seccomp" in text
        assert f"REDUCED ISOLATION: environments run WITHOUT {ALL_BUT_SECCOMP.replace(',', ', ')}" \
            in text
    finally:
        s.proc.terminate()
        s.proc.wait(timeout=30)
        log.close()


def test_an_unknown_layer_name_is_a_usage_error(tmp_path):
    p = subprocess.run([KINDLING, "serve", "--data-dir", str(tmp_path), "--reduced-isolation",
                        "everything"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "unknown isolation layer 'everything'" in p.stderr
