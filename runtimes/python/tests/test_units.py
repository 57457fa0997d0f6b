"""In-process unit tests: JSON encoder edge cases and the HTTP client framing."""

import collections
import decimal
import os
import socket
import subprocess
import sys
import threading

import pytest

RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, RUNTIME_DIR)

from kindling_ric import client as client_mod  # noqa: E402
from kindling_ric import encoding  # noqa: E402


# ---- encoding ---------------------------------------------------------------

def test_fast_path_bytes_match_simplejson_defaults():
    assert encoding.to_json({"a": [1, 2.5, None, True, False], "b": "x"}) == \
        '{"a": [1, 2.5, null, true, false], "b": "x"}'
    assert encoding.to_json("\u00e9\U0001f600") == '"\\u00e9\\ud83d\\ude00"'
    assert encoding.to_json({1: "int key", 2.5: "float", None: "n", False: "f"}) == \
        '{"1": "int key", "2.5": "float", "null": "n", "false": "f"}'
    assert encoding.to_json([float("nan"), float("-inf")]) == "[NaN, -Infinity]"


def test_slow_path_decimal_bytes_namedtuple():
    Point = collections.namedtuple("Point", "x y")
    value = {"d": [decimal.Decimal("-0.000"), decimal.Decimal("1E+3"),
                   decimal.Decimal("sNaN")],
             b"key": b"\xc3\xa9", "p": Point(1, decimal.Decimal("2.50")),
             "t": (1, 2)}
    assert encoding.to_json(value) == (
        '{"d": [-0.000, 1E+3, NaN], "key": "\\u00e9", '
        '"p": {"x": 1, "y": 2.50}, "t": [1, 2]}')


def test_slow_path_error_messages():
    with pytest.raises(TypeError, match="^Object of type object is not JSON serializable$"):
        encoding.to_json({"d": decimal.Decimal(1), "o": object()})
    loop = [decimal.Decimal(1)]
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        encoding.to_json(loop)
    with pytest.raises(TypeError, match="keys must be str, int, float, bool or None, not tuple"):
        encoding.to_json({(1, 2): 1})
    with pytest.raises(encoding.FaultException) as info:
        encoding.marshal_response({"g": (x for x in ())})
    assert info.value.exception_type == "Runtime.MarshalError"
    assert info.value.msg == ("Unable to marshal response: Object of type generator "
                              "is not JSON serializable")


def test_python312_execution_env_disables_ensure_ascii():
    code = ("import sys; sys.path.insert(0, %r); from kindling_ric import encoding; "
            "sys.stdout.write(encoding.to_json({'k': '\\u00e9\\u2028'}))" % RUNTIME_DIR)
    env = dict(os.environ, AWS_EXECUTION_ENV="AWS_Lambda_python3.12",
               PYTHONIOENCODING="utf-8")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True).stdout.decode("utf-8")
    assert out == '{"k": "\u00e9\\u2028"}'


def test_unmarshal_only_for_exact_json_content_type():
    assert encoding.unmarshal_request(b'{"a": 1}', "application/json") == {"a": 1}
    assert encoding.unmarshal_request(b'{"a": 1}', None) == b'{"a": 1}'
    assert encoding.unmarshal_request(b'{"a": 1}', "application/json; charset=utf-8") \
        == b'{"a": 1}'


# ---- HTTP client framing ---------------------------------------------------------

class ScriptedServer(object):
    """Accepts connections and answers each request with the next canned reply.

    A reply of None closes the connection instead of answering.
    """

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.sock.getsockname()[1]

    def _read_request(self, conn, buf):
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return None, b""
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += conn.recv(65536)
        return head + b"\r\n\r\n" + rest[:length], rest[length:]

    def _serve(self):
        while self.replies:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            buf = b""
            with conn:
                while self.replies:
                    request, buf = self._read_request(conn, buf)
                    if request is None:
                        break
                    self.requests.append(request)
                    reply = self.replies.pop(0)
                    if reply is None:
                        break
                    conn.sendall(reply)

    def close(self):
        self.sock.close()


def test_client_handles_chunked_close_and_dropped_keepalive():
    event = b'{"big": "' + b"x" * 200000 + b'"}'
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                       for part in (event[:70000], event[70000:]))
    next_headers = (b"Lambda-Runtime-Aws-Request-Id: r1\r\n"
                    b"Lambda-Runtime-Deadline-Ms: 123\r\n"
                    b"Content-Type: application/json\r\n")
    server = ScriptedServer([
        # 1: chunked body with a trailer, keep-alive
        b"HTTP/1.1 200 OK\r\n" + next_headers +
        b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\nX-T: 1\r\n\r\n",
        # 2: interim 100 then a Content-Length reply; then server drops the socket
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\n"
        b"Content-Length: 15\r\n\r\n{\"status\":\"OK\"}",
        None,
        # 3 (after reconnect): EOF-delimited body with Connection: close
        b"HTTP/1.1 200 OK\r\n" + next_headers.replace(b"r1", b"r2") +
        b"Connection: close\r\n\r\nplain",
    ])
    try:
        c = client_mod.RuntimeClient(server.address)
        body, headers = c.next_invocation()
        assert body == event
        assert headers["lambda-runtime-aws-request-id"] == "r1"
        assert headers["content-type"] == "application/json"
        c.post_invocation_result("r1", b"[1, 2]", "application/json")
        body, headers = c.next_invocation()  # first try hits the dropped socket
        assert body == b"plain"
        assert headers["lambda-runtime-aws-request-id"] == "r2"
        assert c._sock is None  # Connection: close honoured
        assert server.connections == 2
        post = server.requests[1]
        assert post.startswith(b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\n")
        assert b"\r\nContent-Length: 6\r\n" in post and post.endswith(b"\r\n\r\n[1, 2]")
    finally:
        server.close()


def test_client_raises_on_non_2xx():
    server = ScriptedServer([b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"])
    try:
        c = client_mod.RuntimeClient(server.address)
        with pytest.raises(client_mod.RuntimeAPIError) as info:
            c.next_invocation()
        assert info.value.reason == 403
        assert info.value.body == b"no"
    finally:
        server.close()


def test_client_rejects_bad_address():
    with pytest.raises(ValueError):
        client_mod.RuntimeClient("no-port")
