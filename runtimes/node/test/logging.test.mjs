// test/logging.test.mjs — console patching: Text and JSON formats, request id
// per invoke, level filtering via AWS_LAMBDA_LOG_LEVEL.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, lines } from './helpers.mjs';

const TS = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';

test('text format: "<ts>\\t<request id>\\t<LEVEL>\\t<message>" with the current request id', async () => {
  const r = await run({ app: 'cjs', handler: 'index.logs', events: [{}, {}] });
  const [id1, id2] = r.api.ids;
  const got = lines(r.out);
  const expect = (id) => [
    ['INFO', 'hello world 42'],
    ['INFO', 'info formatted'],
    ['WARN', 'warned'],
    ['ERROR', 'multi\rline'],
    ['DEBUG', 'debugged'],
    ['TRACE', 'traced'],
  ].map(([lvl, msg]) => new RegExp(`^${TS}\\t${id}\\t${lvl}\\t${msg}$`));
  const want = [...expect(id1), ...expect(id2)];
  assert.equal(got.length, want.length, r.out);
  got.forEach((l, i) => assert.match(l, want[i]));
});

test('console.error(err) prints the inspected error on one line', async () => {
  const r = await run({ app: 'cjs', handler: 'index.logError', events: [{}] });
  const l = lines(r.out).find((x) => x.includes('logged error object'));
  assert.match(l, new RegExp(`^${TS}\\t${r.api.ids[0]}\\tERROR\\tError: logged error object\\r    at `));
});

test('JSON format (AWS_LAMBDA_LOG_FORMAT=JSON)', async () => {
  const r = await run({
    app: 'cjs',
    handler: 'index.logs',
    events: [{ headers: { 'Lambda-Runtime-Aws-Tenant-Id': 't-1' } }],
    env: { AWS_LAMBDA_LOG_FORMAT: 'JSON' },
  });
  const recs = lines(r.out).map((l) => JSON.parse(l));
  assert.equal(recs.length, 6);
  assert.deepEqual(Object.keys(recs[0]), ['timestamp', 'level', 'requestId', 'tenantId', 'message']);
  assert.match(recs[0].timestamp, new RegExp(`^${TS}$`));
  assert.deepEqual(
    recs.map((x) => [x.level, x.requestId, x.message]),
    [
      ['INFO', r.api.ids[0], 'hello world 42'],
      ['INFO', r.api.ids[0], 'info formatted'],
      ['WARN', r.api.ids[0], 'warned'],
      ['ERROR', r.api.ids[0], 'multi\nline'],
      ['DEBUG', r.api.ids[0], 'debugged'],
      ['TRACE', r.api.ids[0], 'traced'],
    ],
  );
  assert.equal(recs[0].tenantId, 't-1');
});

test('JSON format: invoke errors are logged as structured error objects', async () => {
  const r = await run({ app: 'cjs', handler: 'index.throws', events: [{}], env: { AWS_LAMBDA_LOG_FORMAT: 'json' } });
  const rec = JSON.parse(lines(r.out)[0]);
  assert.equal(rec.level, 'ERROR');
  assert.equal(rec.requestId, r.api.ids[0]);
  assert.equal(rec.message.errorType, 'Error');
  assert.equal(rec.message.errorMessage, 'thrown synchronously');
  assert.equal(rec.message.stackTrace[0], 'Error: thrown synchronously');
});

test('AWS_LAMBDA_LOG_LEVEL=WARN drops INFO/DEBUG/TRACE', async () => {
  const r = await run({ app: 'cjs', handler: 'index.logs', events: [{}], env: { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'warn' } });
  const levels = lines(r.out).map((l) => JSON.parse(l).level);
  assert.deepEqual(levels, ['WARN', 'ERROR']);
  assert.equal(r.api.responses[0].body, '"logged"');
});
