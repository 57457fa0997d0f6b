// index.mjs — entry point of kindling's Node.js runtime interface client.
// Started by the platform as `/usr/bin/node <RUNTIME_DIR>/node/index.mjs`
// (cwd = LAMBDA_TASK_ROOT). Start-up is split in three steps so a future
// "pre-started generic runtime" can run step 1 before it knows its function:
//   1. bootstrap()    patch console, create the Runtime API client, install
//                     process-level error handlers (init-error reporting);
//   2. loadHandler()  resolve + load the user's module (user-function.cjs);
//   3. startLoop()    run the invoke loop (runtime.cjs).
// Load failures escape step 2 as a rejected top-level await, which Node
// delivers to 'uncaughtException': logged as "Uncaught Exception", POSTed to
// /runtime/init/error, exit 129 — the same path the RIC takes.

import { createRequire } from 'node:module';

// The runtime's own modules are CommonJS: require() of a few local files is
// synchronous and measurably cheaper at start-up than ESM module loading.
const require = createRequire(import.meta.url);
const { logError, patchConsole } = require('./log-patch.cjs');
const { RapidClient } = require('./rapid-client.cjs');
const { getHandlerMetadata, loadHandler, STREAM_RESPONSE } = require('./user-function.cjs');
const { BeforeExit, Runtime } = require('./runtime.cjs');
const { MalformedStreamingHandler, UnhandledPromiseRejection } = require('./errors.cjs');

/** Runtime API failure (non-2xx, connection refused/reset): log and exit. */
function fatalRuntimeApiError(err) {
  console.log(`Unexpected Top Level Error: ${err.toString()}`);
  process.exit(129);
}

/**
 * Step 1. Everything that does not depend on the handler.
 * @returns {{client: RapidClient, errorCallbacks: object}}
 */
function bootstrap(env = process.env) {
  patchConsole(env);
  const client = new RapidClient(env.AWS_LAMBDA_RUNTIME_API, fatalRuntimeApiError);

  // Until the first invoke these report init errors; the loop re-points them
  // at the current invoke.
  const errorCallbacks = {
    uncaughtException: (error) => client.postInitError(error, () => process.exit(129)),
    unhandledRejection: (error) => client.postInitError(error, () => process.exit(128)),
  };
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    errorCallbacks.uncaughtException(error);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    logError('Unhandled Promise Rejection', error);
    errorCallbacks.unhandledRejection(error);
  });

  BeforeExit.reset();
  process.on('beforeExit', BeforeExit.invoke);
  return { client, errorCallbacks };
}

/** Step 3. Start polling /next with a loaded handler. */
function startLoop(rt, handler) {
  const metadata = getHandlerMetadata(handler);
  if (metadata.streaming === STREAM_RESPONSE) {
    // Response streaming (awslambda.streamifyResponse) plugs in here later.
    throw new MalformedStreamingHandler('Response streaming is not supported by this runtime yet.');
  }
  new Runtime(rt.client, handler, metadata, rt.errorCallbacks, fatalRuntimeApiError).scheduleIteration();
}

// ------------------------------------------------------------------- main
// A pre-started generic runtime would branch here: run bootstrap(), wait to be
// told its function (handler string + env), call patchConsole() again with
// the final env, then continue with the two lines below.
const rt = bootstrap();
const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerString = process.argv[2] ?? process.env._HANDLER ?? '';
startLoop(rt, await loadHandler(appRoot, handlerString));
