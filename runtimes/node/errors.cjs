// errors.cjs — error types the kindling Node.js runtime raises, and the two
// error encodings AWS's Node runtime interface client (RIC) uses:
//   toRapidResponse(): body POSTed to /invocation/{id}/error and /init/error
//                      ({errorType, errorMessage, trace}),
//   toFormatted():     the "\t{...}" JSON the RIC appends to "Invoke Error" /
//                      "Uncaught Exception" log lines.
// Names, messages and shapes follow the RIC's src/Errors.js.

'use strict';

const { types } = require('node:util');

// Runtime.* error classes. The prototype name is set after the class is
// created (as the RIC does), so `stack` starts with "Runtime.<Name>: ...".
class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class MalformedHandlerName extends Error {}
class UserCodeSyntaxError extends Error {}
class MalformedStreamingHandler extends Error {}
class InvalidStreamingOperation extends Error {}
class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    // new Error(symbol) would throw; everything else converts like String().
    super(typeof reason === 'symbol' ? String(reason) : reason);
    this.reason = reason;
    this.promise = promise;
  }
}

for (const cls of [
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  MalformedStreamingHandler,
  InvalidStreamingOperation,
  NodeJsExit,
  UnhandledPromiseRejection,
]) {
  cls.prototype.name = `Runtime.${cls.name}`;
}

/** A failure talking to the Runtime API itself (non-2xx, connection error). */
class RuntimeApiError extends Error {}
RuntimeApiError.prototype.name = 'RuntimeApiError';

function looksLikeError(obj) {
  return (
    obj &&
    obj.name &&
    obj.message &&
    obj.stack &&
    typeof obj.name === 'string' &&
    typeof obj.message === 'string' &&
    typeof obj.stack === 'string'
  );
}

function intoError(err) {
  return err instanceof Error ? err : new Error(err);
}

const escapeDel = (s) => (typeof s === 'string' ? s.replaceAll('\x7F', '%7F') : s);

/** The JSON object the RIC posts for an error (errorType = error.name). */
function toRapidResponse(error) {
  try {
    if (types.isNativeError(error) || looksLikeError(error)) {
      return {
        errorType: escapeDel(error.name),
        errorMessage: escapeDel(error.message),
        trace: escapeDel(error.stack).split('\n'),
      };
    }
    return {
      errorType: typeof error,
      errorMessage: error.toString(),
      trace: [],
    };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// name/message/code/stack live on the prototype chain or are non-enumerable;
// surface them (plus the error's own enumerable fields) for JSON.stringify.
function withEnumerableProperties(value) {
  if (value instanceof Error) {
    const ret = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: value.code },
      value,
    );
    if (typeof value.stack === 'string') ret.stack = value.stack.split('\n');
    return ret;
  }
  return value;
}

/** "\t" + JSON of the error, as the RIC appends it to text-format error logs. */
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

module.exports = {
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  MalformedStreamingHandler,
  InvalidStreamingOperation,
  NodeJsExit,
  UnhandledPromiseRejection,
  RuntimeApiError,
  intoError,
  toRapidResponse,
  toFormatted,
};
