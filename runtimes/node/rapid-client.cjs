// rapid-client.cjs — HTTP client for the Lambda Runtime API (2018-06-01),
// node:http only. Normal traffic (GET /next, POST /response, POST /error)
// shares one keep-alive socket (Agent maxSockets 1), the long-poll GET has no
// timeout. Last-gasp posts made on the way to process.exit (init errors,
// uncaught exceptions during an invoke) use a fresh connection so they never
// queue behind an outstanding GET /next.
// Any non-2xx answer or transport failure on normal traffic is reported to
// `onFatal` (the bootstrap exits non-zero).

'use strict';

const http = require('node:http');
const { RuntimeApiError, toRapidResponse } = require('./errors.cjs');

const API = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';

function serialize(body) {
  try {
    return JSON.stringify(body === undefined ? null : body);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

function parseHostPort(hostPort) {
  if (!hostPort) throw new RuntimeApiError('AWS_LAMBDA_RUNTIME_API is not set');
  const i = hostPort.lastIndexOf(':');
  let host = i < 0 ? hostPort : hostPort.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, i < 0 ? 80 : parseInt(hostPort.slice(i + 1), 10)];
}

class RapidClient {
  /**
   * @param {string} hostPort  AWS_LAMBDA_RUNTIME_API ("127.0.0.1:9001")
   * @param {(err: Error) => void} onFatal  called once the API misbehaves
   */
  constructor(hostPort, onFatal) {
    [this.hostname, this.port] = parseHostPort(hostPort);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.onFatal = onFatal;
    this.outstandingId = null; // invoke received but not yet answered
    this.inFlight = 0; // POSTs not yet answered by the API
    this.idleWaiters = [];
    this.lastGaspSent = false;
  }

  // Raw request. cb(err, statusCode, bodyText, headers). One retry when a
  // reused keep-alive socket turns out to have been closed by the server.
  _request(method, path, headers, body, agent, callback, retried = false) {
    let called = false;
    const cb = (...args) => {
      if (!called) {
        called = true;
        callback(...args);
      }
    };
    const req = http.request(
      { hostname: this.hostname, port: this.port, path, method, headers, agent },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => cb(null, res.statusCode, data, res.headers));
        res.on('error', (e) => cb(e));
      },
    );
    req.on('error', (e) => {
      if (!called && !retried && req.reusedSocket && e.code === 'ECONNRESET') {
        called = true;
        this._request(method, path, headers, body, agent, callback, true);
      } else {
        cb(e);
      }
    });
    req.end(body);
  }

  _fail(what, err, status, text) {
    const msg = err
      ? `${what} failed: ${err.message}`
      : `${what} returned HTTP ${status}${text ? `: ${text}` : ''}`;
    return new RuntimeApiError(msg);
  }

  /** Resolves to {bodyJson, headers} (header names lower-case). */
  nextInvocation() {
    return new Promise((resolve, reject) => {
      const path = `${API}/invocation/next`;
      this._request('GET', path, undefined, undefined, this.agent, (err, status, data, headers) => {
        if (err || status < 200 || status > 299) {
          reject(this._fail(`GET ${path}`, err, status, data));
          return;
        }
        this.outstandingId = headers['lambda-runtime-aws-request-id'] ?? null;
        resolve({ bodyJson: data, headers });
      });
    });
  }

  _post(path, bodyString, extraHeaders, agent, cb) {
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(bodyString),
      ...extraHeaders,
    };
    this.inFlight++;
    this._request('POST', path, headers, bodyString, agent, (err, status, data) => {
      this.inFlight--;
      const failure =
        err || status < 200 || status > 299 ? this._fail(`POST ${path}`, err, status, data) : null;
      if (this.inFlight === 0 && this.idleWaiters.length) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
      cb(failure);
    });
  }

  _settled(id) {
    if (this.outstandingId === id) this.outstandingId = null;
  }

  /**
   * POST the result. Throws synchronously (before anything is sent) if the
   * result cannot be JSON-serialized, like the RIC; `callback` runs once the
   * API accepted it.
   */
  postInvocationResponse(result, id, callback) {
    const body = serialize(result);
    this._settled(id);
    this._post(`${API}/invocation/${encodeURIComponent(id)}/response`, body, undefined, this.agent, (f) =>
      f ? this.onFatal(f) : callback(),
    );
  }

  /** POST {errorType, errorMessage, trace} for an invocation. */
  postInvocationError(error, id, callback) {
    const body = serialize(toRapidResponse(error));
    this._settled(id);
    this._post(`${API}/invocation/${encodeURIComponent(id)}/error`, body, undefined, this.agent, (f) =>
      f ? this.onFatal(f) : callback(),
    );
  }

  /** Run `cb` once no POST is waiting for the API. */
  whenIdle(cb) {
    if (this.inFlight === 0) cb();
    else this.idleWaiters.push(cb);
  }

  /**
   * Report an init failure to /init/error (with the error-type header), then
   * run `callback` (which exits) whatever the outcome. Only the first call posts.
   */
  postInitError(error, callback) {
    if (this.lastGaspSent) return this.whenIdle(callback);
    this.lastGaspSent = true;
    const response = toRapidResponse(error);
    const body = serialize(response);
    this._post(`${API}/init/error`, body, { [ERROR_TYPE_HEADER]: response.errorType }, false, () =>
      this.whenIdle(callback),
    );
  }

  /**
   * Report an uncaught error during invoke `id`, then run `callback` (which
   * exits). Posts only if that invoke has not been answered yet; otherwise
   * just waits for in-flight POSTs so an already-sent response is not cut off.
   */
  postFatalInvocationError(error, id, callback) {
    if (this.lastGaspSent || this.outstandingId !== id) return this.whenIdle(callback);
    this.lastGaspSent = true;
    this._settled(id);
    const body = serialize(toRapidResponse(error));
    this._post(`${API}/invocation/${encodeURIComponent(id)}/error`, body, undefined, false, () =>
      this.whenIdle(callback),
    );
  }
}

module.exports = { RapidClient };
