"""Minimal keep-alive HTTP/1.1 client for the Lambda Runtime API (2018-06-01).

Why not ``http.client``: importing it pulls in ``email.*``, ``ssl`` and
``urllib.parse`` (~15 ms on a warm page cache, as much as the interpreter's own
start-up), all on the cold-start path.  The Runtime API is a fixed, local,
plain-HTTP peer, so this module speaks just the part of HTTP/1.1 it needs over
``_socket`` (the C socket module, which imports in ~0.1 ms):

* one persistent TCP connection, opened lazily on the first request (so a
  process that forks after loading the handler never shares a socket), with
  TCP_NODELAY and no timeout (GET /next long-polls, the process may be frozen);
* request bodies always carry Content-Length (no chunking, no Expect);
* responses framed by Content-Length, chunked transfer-encoding, or EOF;
  ``Connection: close`` is honoured and the next request reconnects;
* a reused connection the server has since dropped (EOF/reset before the first
  response byte) is re-established once and the request re-sent, as libcurl
  does in awslambdaric.

Any non-2xx status or transport failure raises RuntimeAPIError; the caller
exits the process (the platform then discards the environment).
"""

import _socket
import sys

API_PREFIX = "/2018-06-01/runtime"
_RECV_SIZE = 65536
_MAX_HEAD = 1 << 20


class RuntimeAPIError(Exception):
    def __init__(self, endpoint, reason, body=b""):
        self.endpoint = endpoint
        self.reason = reason
        self.body = body
        super().__init__(
            f"Request to Lambda Runtime '{endpoint}' endpoint failed. "
            f"Reason: '{reason}'. Response body: '{body!r}'")


class _NoResponse(Exception):
    """The peer closed/reset the connection before sending any byte."""


def _user_agent():
    v = sys.version_info
    return f"aws-lambda-python/{v.major}.{v.minor}.{v.micro}-kindling"


class RuntimeClient(object):
    def __init__(self, address):
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(
                f"AWS_LAMBDA_RUNTIME_API must be host:port, got {address!r}")
        family = _socket.AF_INET
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            family = _socket.AF_INET6
        self._family = family
        self._addr = (host, int(port))
        self._sock = None
        self._rbuf = b""
        self._common = f"Host: {address}\r\nUser-Agent: {_user_agent()}\r\n"
        self._next_request = (f"GET {API_PREFIX}/invocation/next HTTP/1.1\r\n"
                              f"{self._common}\r\n").encode("ascii")

    # ---- Runtime API calls ------------------------------------------------

    def next_invocation(self):
        """GET /invocation/next; returns (body bytes, lower-cased headers)."""
        status, headers, body = self._roundtrip(
            (self._next_request,), "/runtime/invocation/next")
        if not 200 <= status < 300:
            raise RuntimeAPIError("/runtime/invocation/next", status, body)
        return body, headers

    def post_invocation_result(self, request_id, payload, content_type):
        self._post(f"{API_PREFIX}/invocation/{request_id}/response", payload,
                   content_type, "")

    def post_invocation_error(self, request_id, payload, xray_cause):
        self._post(f"{API_PREFIX}/invocation/{request_id}/error", payload,
                   "application/json",
                   f"Lambda-Runtime-Function-XRay-Error-Cause: {xray_cause}\r\n")

    def post_init_error(self, payload, error_type):
        self._post(f"{API_PREFIX}/init/error", payload, "application/json",
                   f"Lambda-Runtime-Function-Error-Type: {error_type}\r\n")

    def close(self):
        sock, self._sock, self._rbuf = self._sock, None, b""
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    # ---- HTTP plumbing ----------------------------------------------------

    def _post(self, path, body, content_type, extra_headers):
        head = (f"POST {path} HTTP/1.1\r\n{self._common}"
                f"Content-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n{extra_headers}\r\n"
                ).encode("utf-8")
        parts = (head + body,) if len(body) <= _RECV_SIZE else (head, body)
        endpoint = path[len("/2018-06-01"):]
        status, _, resp_body = self._roundtrip(parts, endpoint)
        if not 200 <= status < 300:
            raise RuntimeAPIError(endpoint, status, resp_body)

    def _connect(self):
        sock = _socket.socket(self._family, _socket.SOCK_STREAM)
        try:
            # Explicit: a handler may have called socket.setdefaulttimeout().
            sock.settimeout(None)
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            sock.connect(self._addr)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def _roundtrip(self, parts, endpoint):
        try:
            reused = self._sock is not None
            if not reused:
                self._connect()
            try:
                return self._send_and_read(parts)
            except (_NoResponse, BrokenPipeError, ConnectionResetError):
                if not reused:
                    raise
            # The idle keep-alive connection was dropped: reconnect once.
            self.close()
            self._connect()
            return self._send_and_read(parts)
        except _NoResponse:
            self.close()
            raise RuntimeAPIError(endpoint, "connection closed without response")
        except OSError as e:
            self.close()
            raise RuntimeAPIError(endpoint, f"{e.__class__.__name__}: {e}")
        except ValueError as e:  # unparsable status line or framing
            self.close()
            raise RuntimeAPIError(endpoint, f"malformed response: {e}")

    def _send_and_read(self, parts):
        sock = self._sock
        for part in parts:
            sock.sendall(part)
        return self._read_response()

    def _recv_more(self):
        chunk = self._sock.recv(_RECV_SIZE)
        if not chunk:
            raise OSError("connection closed in the middle of a response")
        return chunk

    def _read_exact(self, buf, n):
        """Return (first n bytes of the stream starting with buf, leftover)."""
        if len(buf) >= n:
            return buf[:n], buf[n:]
        parts = [buf]
        have = len(buf)
        recv = self._sock.recv
        while have < n:
            chunk = recv(min(n - have, 1 << 20))
            if not chunk:
                raise OSError("connection closed in the middle of a response")
            parts.append(chunk)
            have += len(chunk)
        return b"".join(parts), b""

    def _read_line(self, buf):
        while True:
            i = buf.find(b"\r\n")
            if i >= 0:
                return buf[:i], buf[i + 2:]
            if len(buf) > _MAX_HEAD:
                raise ValueError("line too long")
            buf += self._recv_more()

    def _read_head(self, buf, first):
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                return buf[:end], buf[end + 4:]
            if len(buf) > _MAX_HEAD:
                raise ValueError("response header too large")
            try:
                chunk = self._sock.recv(_RECV_SIZE)
            except ConnectionResetError:
                if first and not buf:
                    raise _NoResponse
                raise
            if not chunk:
                if first and not buf:
                    raise _NoResponse
                raise OSError("connection closed in the middle of a response")
            buf += chunk

    def _read_response(self):
        buf, self._rbuf = self._rbuf, b""
        first = True
        while True:
            head, buf = self._read_head(buf, first)
            first = False
            lines = head.decode("utf-8", "replace").split("\r\n")
            version, status_text = (lines[0].split(None, 2) + ["", ""])[:2]
            status = int(status_text)
            if 100 <= status < 200:  # interim response: read the real one
                continue
            break
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()

        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0"
                                          and connection != "keep-alive")
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body, buf = self._read_chunked(buf)
        elif "content-length" in headers:
            body, buf = self._read_exact(buf, int(headers["content-length"]))
        else:  # delimited by EOF
            parts = [buf]
            while True:
                chunk = self._sock.recv(_RECV_SIZE)
                if not chunk:
                    break
                parts.append(chunk)
            body, buf, close = b"".join(parts), b"", True
        if close:
            self.close()
        else:
            self._rbuf = buf
        return status, headers, body

    def _read_chunked(self, buf):
        out = []
        while True:
            line, buf = self._read_line(buf)
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while True:  # trailers, up to the empty line
                    line, buf = self._read_line(buf)
                    if not line:
                        return b"".join(out), buf
            data, buf = self._read_exact(buf, size + 2)
            out.append(data[:size])
