// test/failures.test.mjs — process-level failures: uncaught exceptions and
// unhandled rejections during an invoke (error POST + RIC exit codes), and a
// Runtime API that answers non-2xx (bootstrap must exit non-zero promptly) or
// drops idle keep-alive connections.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './helpers.mjs';

const one = [{}];

test('unhandled rejection during invoke -> Runtime.UnhandledPromiseRejection, exit 128', async () => {
  const r = await run({ app: 'cjs', handler: 'index.unhandledRejection', events: one, until: 'exit' });
  assert.equal(r.code, 128);
  assert.equal(r.api.responses.length, 0);
  const e = r.api.errors[0];
  assert.equal(e.id, r.api.ids[0]);
  assert.equal(e.json.errorType, 'Runtime.UnhandledPromiseRejection');
  assert.equal(e.json.errorMessage, 'Error: nobody catches me');
  assert.equal(e.json.trace[0], 'Runtime.UnhandledPromiseRejection: Error: nobody catches me');
  assert.match(r.out, /\tERROR\tUnhandled Promise Rejection \t\{"errorType":"Runtime\.UnhandledPromiseRejection"/);
  assert.ok(r.durationMs < 8000, 'exits without waiting for the handler to finish');
});

test('uncaught exception during invoke -> error posted, exit 129', async () => {
  const r = await run({ app: 'cjs', handler: 'index.uncaught', events: one, until: 'exit' });
  assert.equal(r.code, 129);
  assert.equal(r.api.errors.length, 1);
  assert.equal(r.api.errors[0].json.errorType, 'Error');
  assert.equal(r.api.errors[0].json.errorMessage, 'thrown from a timer');
  assert.match(r.out, new RegExp(`\\t${r.api.ids[0]}\\tERROR\\tUncaught Exception \\t\\{"errorType":"Error"`));
});

test('runtime API 500 on /next -> non-zero exit, no invoke', async () => {
  const r = await run({ app: 'cjs', handler: 'index.asyncOk', events: one, apiOpts: { nextStatus: 500 }, until: 'exit', timeoutMs: 5000 });
  assert.notEqual(r.code, 0);
  assert.equal(r.code, 129);
  assert.equal(r.api.nextCalls, 1);
  assert.equal(r.api.answered, 0);
  assert.match(r.out, /Unexpected Top Level Error: RuntimeApiError: GET \/2018-06-01\/runtime\/invocation\/next returned HTTP 500/);
});

test('runtime API 500 on /response -> non-zero exit before polling again', async () => {
  const r = await run({ app: 'cjs', handler: 'index.asyncOk', events: [{}, {}], apiOpts: { responseStatus: 500 }, until: 'exit', timeoutMs: 5000 });
  assert.equal(r.code, 129);
  assert.equal(r.api.responses.length, 1);
  assert.equal(r.api.nextCalls, 1);
});

test('runtime API 500 on /error -> non-zero exit', async () => {
  const r = await run({ app: 'cjs', handler: 'index.throws', events: [{}, {}], apiOpts: { errorStatus: 500 }, until: 'exit', timeoutMs: 5000 });
  assert.equal(r.code, 129);
  assert.equal(r.api.errors.length, 1);
  assert.equal(r.api.nextCalls, 1);
});

test('runtime API unreachable -> non-zero exit', async () => {
  // Point at a port nobody listens on (the fake server is still created for the harness).
  const r = await run({
    app: 'cjs',
    handler: 'index.asyncOk',
    env: { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1' },
    until: 'exit',
    timeoutMs: 5000,
  });
  assert.equal(r.code, 129);
  assert.match(r.out, /Unexpected Top Level Error: RuntimeApiError: GET \/2018-06-01\/runtime\/invocation\/next failed: connect ECONNREFUSED/);
});

test('API closing idle keep-alive connections while the handler runs is survived', async () => {
  const r = await run({ app: 'cjs', handler: 'index.slow', events: [{}, {}], apiOpts: { keepAliveTimeout: 50 } });
  assert.deepEqual(r.api.responses.map((x) => x.body), ['"slow ok"', '"slow ok"']);
  assert.equal(r.code, null, 'still running (killed by the harness)');
});
