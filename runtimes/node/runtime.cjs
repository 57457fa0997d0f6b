// runtime.cjs — the invoke loop and the per-invoke objects handed to user code,
// mirroring AWS's Node RIC (src/Runtime.js, CallbackContext.js,
// InvokeContext.js, BeforeExitListener.js):
//   * next invocation -> build context -> call handler(event, context, callback)
//   * promise results are reported as soon as they settle;
//   * callback(null, r) waits for an empty event loop ('beforeExit') unless
//     context.callbackWaitsForEmptyEventLoop = false;
//   * a handler that never reports: sync/callback style -> response null once
//     the loop drains; async function -> Runtime.NodeJsExit error;
//   * uncaught exception / unhandled rejection during an invoke -> error POST,
//     exit 129 / 128.

'use strict';

const { logError, setCurrentRequestId, setCurrentTenantId } = require('./log-patch.cjs');
const { NodeJsExit, RuntimeApiError } = require('./errors.cjs');

// ---------------------------------------------------------------- beforeExit
// One listener slot on the global object (same symbol as the RIC).
const LISTENER = Symbol.for('aws.lambda.beforeExit');
const NOOP = () => {};
const BeforeExit = {
  invoke: () => globalThis[LISTENER](),
  reset: () => {
    globalThis[LISTENER] = NOOP;
  },
  set: (listener) => {
    globalThis[LISTENER] = listener;
  },
};

// ------------------------------------------------------------ invoke context
const H_CLIENT_CONTEXT = 'lambda-runtime-client-context';
const H_COGNITO = 'lambda-runtime-cognito-identity';
const H_ARN = 'lambda-runtime-invoked-function-arn';
const H_REQUEST_ID = 'lambda-runtime-aws-request-id';
const H_DEADLINE = 'lambda-runtime-deadline-ms';
const H_TRACE = 'lambda-runtime-trace-id';
const H_TENANT = 'lambda-runtime-aws-tenant-id';

function parseJsonHeader(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

/**
 * Fill the user-facing context (in the RIC's property order) and forward the
 * X-Ray trace id. Throws if the client-context / identity headers are not JSON.
 */
function attachEnvironmentData(ctx, headers) {
  const trace = headers[H_TRACE];
  if (trace) process.env._X_AMZN_TRACE_ID = trace;
  else delete process.env._X_AMZN_TRACE_ID;

  const env = process.env;
  ctx.functionVersion = env.AWS_LAMBDA_FUNCTION_VERSION;
  ctx.functionName = env.AWS_LAMBDA_FUNCTION_NAME;
  ctx.memoryLimitInMB = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  ctx.logGroupName = env.AWS_LAMBDA_LOG_GROUP_NAME;
  ctx.logStreamName = env.AWS_LAMBDA_LOG_STREAM_NAME;
  ctx.clientContext = parseJsonHeader(headers[H_CLIENT_CONTEXT], 'ClientContext');
  ctx.identity = parseJsonHeader(headers[H_COGNITO], 'CognitoIdentity');
  ctx.invokedFunctionArn = headers[H_ARN];
  ctx.awsRequestId = headers[H_REQUEST_ID];
  ctx.tenantId = headers[H_TENANT];
  const deadline = Number(headers[H_DEADLINE]);
  ctx.getRemainingTimeInMillis = function () {
    return deadline - Date.now();
  };
  return ctx;
}

// ---------------------------------------------------------- callback context
/**
 * Build [callback, context-with-succeed/fail/done, markCompleted] for one
 * invoke. Only the first call of callback/succeed/fail/done counts.
 */
function buildCallbackContext(client, id, scheduleNext) {
  const postError = (err, next) => {
    logError('Invoke Error', err);
    client.postInvocationError(err, id, next);
  };

  let isCompleteInvoked = false;
  const complete = (result, next) => {
    if (isCompleteInvoked) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
      return;
    }
    isCompleteInvoked = true;
    client.postInvocationResponse(result, id, next);
  };

  let waitForEmptyEventLoop = true;

  const callback = (err, result) => {
    BeforeExit.reset();
    if (err !== undefined && err !== null) {
      postError(err, scheduleNext);
    } else if (!waitForEmptyEventLoop) {
      complete(result, scheduleNext);
    } else {
      BeforeExit.set(() => {
        setImmediate(() => complete(result, scheduleNext));
      });
    }
  };

  const done = (err, result) => {
    BeforeExit.reset();
    if (err !== undefined && err !== null) postError(err, scheduleNext);
    else complete(result, scheduleNext);
  };
  const succeed = (result) => done(null, result);
  const fail = (err) => (err === undefined || err === null ? done('handled') : done(err, null));

  // First call wins; `finished` is only set once the wrapped call returned
  // normally (so a throw from succeed() still lets fail() report it).
  let finished = false;
  const once =
    (fn) =>
    (...args) => {
      if (!finished) {
        fn(...args);
        finished = true;
      }
    };

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once(succeed),
    fail: once(fail),
    done: once(done),
  };
  const markCompleted = () => {
    isCompleteInvoked = true;
  };
  return [once(callback), context, markCompleted];
}

// ----------------------------------------------------------------- the loop
const isPromise = (obj) => obj && obj.then && typeof obj.then === 'function';

class Runtime {
  /**
   * @param client          RapidClient
   * @param handler         the user's function
   * @param handlerMetadata from getHandlerMetadata()
   * @param errorCallbacks  {uncaughtException(err), unhandledRejection(err)},
   *                        re-pointed at the current invoke by the loop
   * @param onFatal         (err) => void, for Runtime API failures
   */
  constructor(client, handler, handlerMetadata, errorCallbacks, onFatal) {
    this.client = client;
    this.handler = handler;
    this.handlerMetadata = handlerMetadata;
    this.errorCallbacks = errorCallbacks;
    this.onFatal = onFatal;
    this.scheduleNext = () => this.scheduleIteration();
    this.iterate = () => {
      this.handleOnce().then(NOOP, (err) => this.onFatal(err));
    };
  }

  /** Start the next iteration on the next turn of the event loop. */
  scheduleIteration() {
    setImmediate(this.iterate);
  }

  async handleOnce() {
    const { bodyJson, headers } = await this.client.nextInvocation();
    const invokeId = headers[H_REQUEST_ID];
    if (!invokeId) throw new RuntimeApiError('invocation id is missing or invalid');
    setCurrentRequestId(invokeId);
    setCurrentTenantId(headers[H_TENANT]);

    const [callback, callbackContext, markCompleted] = buildCallbackContext(
      this.client,
      invokeId,
      this.scheduleNext,
    );

    try {
      this._setErrorCallbacks(invokeId);
      this._setDefaultExitListener(invokeId, markCompleted, this.handlerMetadata.isAsync);

      const result = this.handler(
        JSON.parse(bodyJson),
        attachEnvironmentData(callbackContext, headers),
        callback,
      );
      if (isPromise(result)) {
        result.then(callbackContext.succeed, callbackContext.fail).catch(callbackContext.fail);
      }
    } catch (err) {
      callback(err);
    }
  }

  _setErrorCallbacks(invokeId) {
    this.errorCallbacks.uncaughtException = (error) => {
      this.client.postFatalInvocationError(error, invokeId, () => process.exit(129));
    };
    this.errorCallbacks.unhandledRejection = (error) => {
      this.client.postFatalInvocationError(error, invokeId, () => process.exit(128));
    };
  }

  // Used when the event loop drains before the handler reported anything.
  _setDefaultExitListener(invokeId, markCompleted, isAsync) {
    BeforeExit.set(() => {
      markCompleted();
      if (isAsync) {
        const err = new NodeJsExit();
        logError('Invoke Error', err);
        this.client.postInvocationError(err, invokeId, this.scheduleNext);
      } else {
        this.client.postInvocationResponse(null, invokeId, this.scheduleNext);
      }
    });
  }
}

module.exports = { BeforeExit, Runtime };
