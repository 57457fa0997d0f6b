// test/invoke.test.mjs — invoke-path behaviour of the Node bootstrap against a
// fake Runtime API: results, errors, callback/promise/legacy styles,
// callbackWaitsForEmptyEventLoop, context object, module state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, ARN } from './helpers.mjs';

const one = [{ body: { n: 7 } }];

test('async handler success: result JSON-encoded to /response', async () => {
  const r = await run({ app: 'cjs', handler: 'index.asyncOk', events: one });
  assert.equal(r.api.errors.length, 0);
  assert.equal(r.api.responses.length, 1);
  assert.equal(r.api.responses[0].id, r.api.ids[0]);
  assert.deepEqual(JSON.parse(r.api.responses[0].body), { ok: true, echo: { n: 7 } });
  assert.equal(r.api.responses[0].headers['content-type'], 'application/json');
});

test('callback handler success', async () => {
  const r = await run({ app: 'cjs', handler: 'index.callbackOk', events: one });
  assert.deepEqual(JSON.parse(r.api.responses[0].body), { via: 'callback', n: 7 });
});

test('callback with error -> /error {errorType, errorMessage, trace} and "Invoke Error" log', async () => {
  const r = await run({ app: 'cjs', handler: 'index.callbackErr', events: one });
  assert.equal(r.api.responses.length, 0);
  const e = r.api.errors[0];
  assert.equal(e.id, r.api.ids[0]);
  assert.deepEqual(Object.keys(e.json), ['errorType', 'errorMessage', 'trace']);
  assert.equal(e.json.errorType, 'Error');
  assert.equal(e.json.errorMessage, 'callback failed');
  assert.ok(Array.isArray(e.json.trace));
  assert.equal(e.json.trace[0], 'Error: callback failed');
  assert.match(e.json.trace[1], /index\.js:\d+:\d+/);
  assert.match(r.out, new RegExp(`\\t${r.api.ids[0]}\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"callback failed","stack":\\["Error: callback failed"`));
});

test('callback with a non-Error value -> errorType is typeof', async () => {
  const r = await run({ app: 'cjs', handler: 'index.callbackString', events: one });
  assert.deepEqual(r.api.errors[0].json, { errorType: 'string', errorMessage: 'plain string error', trace: [] });
});

test('promise rejection from a non-async handler', async () => {
  const r = await run({ app: 'cjs', handler: 'index.rejects', events: one });
  assert.equal(r.api.errors[0].json.errorType, 'Error');
  assert.equal(r.api.errors[0].json.errorMessage, 'promise rejected');
});

test('synchronously thrown Error -> errorType "Error"', async () => {
  const r = await run({ app: 'cjs', handler: 'index.throws', events: one });
  assert.equal(r.api.errors[0].json.errorType, 'Error');
  assert.equal(r.api.errors[0].json.errorMessage, 'thrown synchronously');
});

test('async throw of a built-in subclass keeps its name', async () => {
  const r = await run({ app: 'cjs', handler: 'index.throwsAsync', events: one });
  assert.equal(r.api.errors[0].json.errorType, 'TypeError');
  assert.equal(r.api.errors[0].json.trace[0], 'TypeError: bad type');
});

test('custom error class: errorType is its name', async () => {
  const r = await run({ app: 'cjs', handler: 'index.custom', events: one });
  assert.equal(r.api.errors[0].json.errorType, 'MyCustomError');
  assert.equal(r.api.errors[0].json.errorMessage, 'custom failure');
  assert.equal(r.api.errors[0].json.trace[0], 'MyCustomError: custom failure');
});

test('custom error class without its own name reports "Error" (error.name, as the RIC)', async () => {
  const r = await run({ app: 'cjs', handler: 'index.unnamed', events: one });
  assert.equal(r.api.errors[0].json.errorType, 'Error');
  assert.equal(r.api.errors[0].json.errorMessage, 'unnamed failure');
});

test('undefined result is posted as null', async () => {
  const r = await run({ app: 'cjs', handler: 'index.undef', events: one });
  assert.equal(r.api.responses[0].body, 'null');
});

test('circular result -> error "Unable to stringify response body"', async () => {
  const r = await run({ app: 'cjs', handler: 'index.circular', events: one });
  assert.equal(r.api.responses.length, 0);
  assert.equal(r.api.errors[0].json.errorType, 'Error');
  assert.equal(r.api.errors[0].json.errorMessage, 'Unable to stringify response body');
});

test('circular result via callback: thrown from the deferred completion -> error posted, exit 129 (RIC)', async () => {
  const r = await run({ app: 'cjs', handler: 'index.circularCallback', events: one, until: 'exit' });
  assert.equal(r.code, 129);
  assert.equal(r.api.responses.length, 0);
  assert.equal(r.api.errors[0].json.errorMessage, 'Unable to stringify response body');
  assert.match(r.out, /\tERROR\tUncaught Exception \t/);
});

test('module-level state survives between invokes in one process', async () => {
  const r = await run({ app: 'cjs', handler: 'index.counter', events: [{}, {}] });
  const [a, b] = r.api.responses.map((x) => JSON.parse(x.body));
  assert.equal(a.count, 1);
  assert.equal(b.count, 2);
  assert.equal(a.pid, b.pid);
  assert.deepEqual(r.api.responses.map((x) => x.id), r.api.ids);
});

test('context fields, client context / identity round-trip, remaining time', async () => {
  const clientContext = { client: { installation_id: 'inst-1' }, custom: { k: 'v' }, env: { locale: 'en' } };
  const identity = { cognitoIdentityId: 'id-123', cognitoIdentityPoolId: 'pool-456' };
  const r = await run({
    app: 'cjs',
    handler: 'index.context',
    events: [
      {
        timeoutMs: 10000,
        headers: {
          'Lambda-Runtime-Client-Context': JSON.stringify(clientContext),
          'Lambda-Runtime-Cognito-Identity': JSON.stringify(identity),
          'Lambda-Runtime-Aws-Tenant-Id': 'tenant-9',
        },
      },
      {},
    ],
  });
  const [c, c2] = r.api.responses.map((x) => JSON.parse(x.body));
  const id = r.api.ids[0];
  assert.equal(c.functionName, 'fixture-fn');
  assert.equal(c.functionVersion, '$LATEST');
  assert.equal(c.invokedFunctionArn, ARN);
  assert.equal(c.memoryLimitInMB, '256');
  assert.equal(c.awsRequestId, id);
  assert.equal(c.logGroupName, '/aws/lambda/fixture-fn');
  assert.equal(c.logStreamName, '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef');
  assert.deepEqual(c.clientContext, clientContext);
  assert.deepEqual(c.identity, identity);
  assert.equal(c.tenantId, 'tenant-9');
  assert.equal(c.waits, true);
  assert.ok(c.remaining <= 10000 && c.remaining > 8000, `remaining ${c.remaining}`);
  assert.equal(c.traceId, `Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1;Req=${id}`);
  assert.deepEqual(c.keys, [
    'callbackWaitsForEmptyEventLoop',
    'succeed',
    'fail',
    'done',
    'functionVersion',
    'functionName',
    'memoryLimitInMB',
    'logGroupName',
    'logStreamName',
    'clientContext',
    'identity',
    'invokedFunctionArn',
    'awsRequestId',
    'tenantId',
    'getRemainingTimeInMillis',
  ]);
  // Second invoke: no client context / identity headers; trace id is per invoke.
  assert.equal(c2.clientContext, undefined);
  assert.equal(c2.identity, undefined);
  assert.equal(c2.awsRequestId, r.api.ids[1]);
  assert.match(c2.traceId, new RegExp(`Req=${r.api.ids[1]}$`));
});

test('malformed client context header -> invocation error', async () => {
  const r = await run({
    app: 'cjs',
    handler: 'index.badClientContext',
    events: [{ headers: { 'Lambda-Runtime-Client-Context': '{not json' } }],
  });
  assert.equal(r.api.responses.length, 0);
  assert.match(r.api.errors[0].json.errorMessage, /^Cannot parse ClientContext as json: SyntaxError/);
});

test('callbackWaitsForEmptyEventLoop=true: response waits for pending timers', async () => {
  const r = await run({ app: 'cjs', handler: 'index.waitsTrue', events: one });
  assert.equal(r.api.responses[0].body, '"done"');
  // The timer's log line is in the output before the response was sent.
  assert.match(r.out, /\tINFO\ttimer fired\n/);
});

test('callbackWaitsForEmptyEventLoop=false: response is sent before timers fire', async () => {
  const r = await run({ app: 'cjs', handler: 'index.waitsFalse', events: one });
  assert.equal(r.api.responses[0].body, '"done"');
  assert.doesNotMatch(r.out, /timer fired/);
});

test('legacy context.succeed / context.done (first call wins) / context.fail', async () => {
  const s = await run({ app: 'cjs', handler: 'index.succeed', events: one });
  assert.deepEqual(JSON.parse(s.api.responses[0].body), { legacy: 'succeed' });
  const d = await run({ app: 'cjs', handler: 'index.done', events: one });
  assert.equal(d.api.responses.length, 1);
  assert.equal(d.api.responses[0].body, '"legacy done"');
  const f = await run({ app: 'cjs', handler: 'index.fail', events: one });
  assert.equal(f.api.errors[0].json.errorMessage, 'legacy fail');
  const n = await run({ app: 'cjs', handler: 'index.failNoArg', events: one });
  assert.deepEqual(n.api.errors[0].json, { errorType: 'string', errorMessage: 'handled', trace: [] });
});

test('async handler whose promise never settles -> Runtime.NodeJsExit', async () => {
  const r = await run({ app: 'cjs', handler: 'index.neverSettles', events: one });
  assert.equal(r.api.errors[0].json.errorType, 'Runtime.NodeJsExit');
  assert.match(r.api.errors[0].json.errorMessage, /unexpected Node\.js exit code/);
});

test('sync handler that never calls back -> null response once the loop drains', async () => {
  const r = await run({ app: 'cjs', handler: 'index.neverCallsBack', events: one });
  assert.equal(r.api.responses[0].body, 'null');
});

test('non-JSON event body -> invocation error, runtime keeps serving', async () => {
  const r = await run({ app: 'cjs', handler: 'index.asyncOk', events: [{ body: 'not json' }, { body: { n: 1 } }] });
  assert.equal(r.api.errors[0].json.errorType, 'SyntaxError');
  assert.deepEqual(JSON.parse(r.api.responses[0].body), { ok: true, echo: { n: 1 } });
});

test('request id is URL-encoded in the response path', async () => {
  const r = await run({ app: 'cjs', handler: 'index.asyncOk', events: [{ id: 'id with/slash' }] });
  assert.equal(r.api.responses[0].id, 'id with/slash');
});
