// test/helpers.mjs — test harness for the Node.js bootstrap: a fake Lambda
// Runtime API (node:http on 127.0.0.1, ephemeral port) that hands out queued
// events and records what the runtime POSTs, plus run() which starts the real
// bootstrap (index.mjs) as a child process against a fixture directory.

import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const NODE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const BOOTSTRAP = path.join(NODE_DIR, 'index.mjs');
export const FIXTURES = path.join(NODE_DIR, 'test', 'fixtures');
export const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:fixture-fn';

const API = '/2018-06-01/runtime';
let seq = 0;

export class FakeRuntimeApi {
  /**
   * @param {object[]} events  [{body?, id?, headers?, timeoutMs?}] served in order
   * @param {object} opts      {nextStatus?, responseStatus?, errorStatus?} to make calls fail,
   *                            {keepAliveTimeout?} to drop idle connections early
   */
  constructor(events, opts = {}) {
    this.queue = events.map((e) => ({
      id: e.id ?? `req-${process.pid}-${++seq}`,
      body: e.body === undefined ? '{}' : typeof e.body === 'string' ? e.body : JSON.stringify(e.body),
      headers: e.headers ?? {},
      timeoutMs: e.timeoutMs ?? 30000,
    }));
    this.ids = this.queue.map((e) => e.id);
    this.opts = opts;
    this.responses = []; // {id, body, headers, at}
    this.errors = []; // {id, body, json, headers, at}
    this.initErrors = []; // {body, json, headers}
    this.nextCalls = 0;
    this.parked = []; // GET /next requests with nothing to serve
    this.deadlines = {};
    this.listeners = new Set();
    this.server = http.createServer((req, res) => this._route(req, res));
    this.server.requestTimeout = 0;
    this.server.keepAliveTimeout = opts.keepAliveTimeout ?? 60000;
  }

  listen() {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.address = `127.0.0.1:${this.server.address().port}`;
        resolve(this.address);
      });
    });
  }

  close() {
    for (const res of this.parked) res.destroy();
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Number of invocations answered (response or error). */
  get answered() {
    return this.responses.length + this.errors.length;
  }

  _changed() {
    for (const l of this.listeners) l();
  }

  _route(req, res) {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = req.url;
      const at = Date.now();
      if (req.method === 'GET' && url === `${API}/invocation/next`) {
        this.nextCalls++;
        if (this.opts.nextStatus) {
          res.writeHead(this.opts.nextStatus, { 'Content-Type': 'application/json' });
          res.end('{"errorType":"Fake","errorMessage":"fake failure"}');
        } else if (this.queue.length) {
          const ev = this.queue.shift();
          const deadline = Date.now() + ev.timeoutMs;
          this.deadlines[ev.id] = deadline;
          res.writeHead(200, {
            'Content-Type': 'application/json',
            'Lambda-Runtime-Aws-Request-Id': ev.id,
            'Lambda-Runtime-Deadline-Ms': String(deadline),
            'Lambda-Runtime-Invoked-Function-Arn': ARN,
            'Lambda-Runtime-Trace-Id': `Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1;Req=${ev.id}`,
            ...ev.headers,
          });
          res.end(ev.body);
        } else {
          this.parked.push(res);
        }
        this._changed();
        return;
      }
      let m;
      if (req.method === 'POST' && (m = url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/))) {
        const id = decodeURIComponent(m[1]);
        const rec = { id, body, headers: req.headers, at };
        let status = 202;
        if (m[2] === 'response') {
          this.responses.push(rec);
          status = this.opts.responseStatus ?? 202;
        } else {
          rec.json = JSON.parse(body);
          this.errors.push(rec);
          status = this.opts.errorStatus ?? 202;
        }
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(status === 202 ? '{"status":"OK"}' : '{"errorType":"Fake","errorMessage":"fake"}');
        this._changed();
        return;
      }
      if (req.method === 'POST' && url === `${API}/init/error`) {
        this.initErrors.push({ body, json: JSON.parse(body), headers: req.headers, at });
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end('{"status":"OK"}');
        this._changed();
        return;
      }
      res.writeHead(404);
      res.end();
    });
  }
}

/** Base Lambda environment for the child (nothing inherited but PATH). */
export function lambdaEnv(api, appDir, handler, extra = {}) {
  return {
    PATH: process.env.PATH,
    _HANDLER: handler,
    AWS_LAMBDA_RUNTIME_API: api,
    LAMBDA_TASK_ROOT: appDir,
    LAMBDA_RUNTIME_DIR: path.dirname(NODE_DIR),
    AWS_LAMBDA_FUNCTION_NAME: 'fixture-fn',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fixture-fn',
    AWS_LAMBDA_LOG_STREAM_NAME: '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    AWS_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    TZ: ':UTC',
    ...extra,
  };
}

/**
 * Run the bootstrap against `app` (a dir under test/fixtures) with `handler`,
 * serving `events`. Resolves when the child exited or, with until:'answered',
 * once every event got a response/error and the runtime is back on /next
 * (the child is then killed). Returns {api, code, signal, out, durationMs}.
 */
export async function run({ app, handler, events = [], env = {}, apiOpts = {}, until = 'answered', timeoutMs = 15000 }) {
  const api = new FakeRuntimeApi(events, apiOpts);
  const address = await api.listen();
  const appDir = path.join(FIXTURES, app);
  const child = spawn(process.execPath, [BOOTSTRAP], {
    cwd: appDir,
    env: lambdaEnv(address, appDir, handler, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
  const started = Date.now();

  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const answered = new Promise((resolve) => {
    const check = () => {
      if (api.answered >= events.length && api.parked.length > 0) resolve('answered');
    };
    api.listeners.add(check);
  });
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });

  const first = await Promise.race(until === 'answered' ? [exited, answered, timedOut] : [exited, timedOut]);
  clearTimeout(timer);
  let exit;
  if (first === 'answered' || first === 'timeout') {
    child.kill('SIGKILL');
    exit = await exited;
  } else {
    exit = first;
  }
  await api.close();
  if (first === 'timeout') {
    throw new Error(`bootstrap did not finish within ${timeoutMs} ms; output:\n${out}`);
  }
  return { api, code: exit.code, signal: exit.signal, out, durationMs: Date.now() - started };
}

/** Log lines of the child's output (stdout+stderr). */
export const lines = (out) => out.split('\n').filter((l) => l.length);
