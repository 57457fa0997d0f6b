// test/load.test.mjs — handler string parsing, module resolution (CommonJS,
// .cjs, .mjs, "type":"module", dir/file, nested) and the Runtime.* init errors
// the bootstrap POSTs to /runtime/init/error before exiting.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, BOOTSTRAP } from './helpers.mjs';

const one = [{ body: { x: 1 } }];

async function initError(app, handler) {
  const r = await run({ app, handler, events: one, until: 'exit' });
  assert.equal(r.code, 129, `exit code; output:\n${r.out}`);
  assert.equal(r.api.nextCalls, 0, 'must not ask for an invocation after a failed init');
  assert.equal(r.api.initErrors.length, 1);
  const ie = r.api.initErrors[0];
  assert.deepEqual(Object.keys(ie.json), ['errorType', 'errorMessage', 'trace']);
  assert.equal(ie.headers['lambda-runtime-function-error-type'], ie.json.errorType);
  assert.equal(ie.headers['content-type'], 'application/json');
  // Logged as the RIC does, before any request id exists.
  assert.match(r.out, new RegExp(`\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"${ie.json.errorType.replace('.', '\\.')}"`));
  return ie.json;
}

test('CommonJS .js handler', async () => {
  const r = await run({ app: 'cjs', handler: 'index.asyncOk', events: one });
  assert.deepEqual(JSON.parse(r.api.responses[0].body).echo, { x: 1 });
});

test('CommonJS .cjs handler', async () => {
  const r = await run({ app: 'cjs', handler: 'other.handler', events: one });
  assert.deepEqual(JSON.parse(r.api.responses[0].body), { from: 'cjs extension' });
});

test('ES module .mjs handler', async () => {
  const r = await run({ app: 'esm-mjs', handler: 'app.handler', events: [{ body: { a: 1 } }, {}] });
  const [a, b] = r.api.responses.map((x) => JSON.parse(x.body));
  assert.deepEqual(a, { from: 'mjs', isEsm: true, calls: 1, event: { a: 1 } });
  assert.equal(b.calls, 2);
});

test('.js under package.json "type":"module" is imported as ESM', async () => {
  const r = await run({ app: 'esm-type-module', handler: 'app.handler', events: one });
  assert.deepEqual(JSON.parse(r.api.responses[0].body), { from: 'type-module', isEsm: true, sep: '/' });
});

test('dir/file.function handler', async () => {
  const r = await run({ app: 'cjs', handler: 'dir/file.handler', events: one });
  assert.deepEqual(JSON.parse(r.api.responses[0].body), { from: 'dir/file.js' });
});

test('nested file.obj.fn handler', async () => {
  const r = await run({ app: 'cjs', handler: 'index.nested.deeper.fn', events: one });
  assert.equal(r.api.responses[0].body, '"nested ok"');
});

test('module not found -> Runtime.ImportModuleError', async () => {
  const e = await initError('cjs', 'nope.handler');
  assert.equal(e.errorType, 'Runtime.ImportModuleError');
  assert.equal(e.errorMessage, `Error: Cannot find module 'nope'\nRequire stack:\n- ${BOOTSTRAP}`);
  assert.equal(e.trace[0], "Runtime.ImportModuleError: Error: Cannot find module 'nope'");
});

test('dependency missing inside the module -> Runtime.ImportModuleError', async () => {
  const e = await initError('broken', 'requiresMissing.handler');
  assert.equal(e.errorType, 'Runtime.ImportModuleError');
  assert.match(e.errorMessage, /^Error: Cannot find module 'definitely-not-installed-pkg'\nRequire stack:\n- .*requiresMissing\.js/);
});

test('syntax error -> Runtime.UserCodeSyntaxError', async () => {
  const e = await initError('broken', 'syntax.handler');
  assert.equal(e.errorType, 'Runtime.UserCodeSyntaxError');
  assert.match(e.errorMessage, /^SyntaxError: Unexpected token/);
  assert.match(e.trace[0], /^Runtime\.UserCodeSyntaxError: SyntaxError: /);
});

test('module throwing at init -> its own error type', async () => {
  const e = await initError('broken', 'throwsAtInit.handler');
  assert.equal(e.errorType, 'Error');
  assert.equal(e.errorMessage, 'init went wrong');
});

test('handler not exported -> Runtime.HandlerNotFound', async () => {
  const e = await initError('cjs', 'index.missing');
  assert.equal(e.errorType, 'Runtime.HandlerNotFound');
  assert.equal(e.errorMessage, 'index.missing is undefined or not exported');
});

test('handler not a function -> Runtime.HandlerNotFound', async () => {
  const e = await initError('cjs', 'index.notAFunction');
  assert.equal(e.errorType, 'Runtime.HandlerNotFound');
  assert.equal(e.errorMessage, 'index.notAFunction is not a function');
});

test('malformed handler name (no dot) -> Runtime.MalformedHandlerName "Bad handler"', async () => {
  const e = await initError('cjs', 'index');
  assert.equal(e.errorType, 'Runtime.MalformedHandlerName');
  assert.equal(e.errorMessage, 'Bad handler');
});

test('malformed handler name (relative path) -> Runtime.MalformedHandlerName', async () => {
  const e = await initError('cjs', '../cjs/index.asyncOk');
  assert.equal(e.errorType, 'Runtime.MalformedHandlerName');
  assert.equal(
    e.errorMessage,
    "'../cjs/index.asyncOk' is not a valid handler name. Use absolute paths when specifying root directories in handler names.",
  );
});
