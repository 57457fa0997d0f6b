// log-patch.cjs — replaces console.* the way AWS's Node RIC (src/LogPatch.js)
// does, so function logs look like they do on Lambda:
//   Text: "<ISO ts>\t<request id>\t<LEVEL>\t<util.format(...)>\n" (inner "\n" -> "\r")
//   JSON: {"timestamp","level","requestId"[,"tenantId"],"message"[,errorType,...]}
// AWS_LAMBDA_LOG_FORMAT picks the format, AWS_LAMBDA_LOG_LEVEL filters levels.
// Every line is written with a blocking write(2) on fd 1 before the console call
// returns, so it is in the log pipe before any later /response POST is sent.

'use strict';

const { format } = require('node:util');
const { writeSync } = require('node:fs');
const { intoError, toFormatted } = require('./errors.cjs');

// Shared with user code and libraries through well-known symbols, like the RIC.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const TENANT_ID = Symbol.for('aws.lambda.runtime.tenantId');

function setCurrentRequestId(id) {
  globalThis[REQUEST_ID] = id;
}
function setCurrentTenantId(id) {
  globalThis[TENANT_ID] = id;
}

const LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
});

const LOG_FD = 1;
let sleepCell = null;

/**
 * Write a whole string to the log fd synchronously. The fd may be in
 * non-blocking mode (if anything opened process.stdout on the shared pipe), so
 * EAGAIN is retried after a 1 ms sleep instead of being dropped. Other errors
 * (e.g. EPIPE: reader gone) are ignored — there is nowhere to report them.
 */
function writeLog(text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(LOG_FD, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') return;
      sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(sleepCell, 0, 0, 1);
    }
  }
}

function textLog(level, message, ...params) {
  const line = `${new Date().toISOString()}\t${globalThis[REQUEST_ID]}\t${level.name}\t${format(message, ...params)}`;
  writeLog(line.replace(/\n/g, '\r') + '\n');
}

function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

function formatJsonMessage(requestId, timestamp, level, tenantId, ...messageParams) {
  const result = { timestamp, level: level.name, requestId };
  if (tenantId !== undefined && tenantId !== null) result.tenantId = tenantId;

  if (messageParams.length === 1) {
    result.message = messageParams[0];
    try {
      return JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = format(result.message);
      return JSON.stringify(result);
    }
  }

  result.message = format(...messageParams);
  for (const param of messageParams) {
    if (param instanceof Error) {
      result.errorType = param?.constructor?.name ?? 'UnknownError';
      result.errorMessage = param.message;
      result.stackTrace = typeof param.stack === 'string' ? param.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(result);
}

function jsonLog(level, message, ...params) {
  const line = formatJsonMessage(
    globalThis[REQUEST_ID],
    new Date().toISOString(),
    level,
    globalThis[TENANT_ID],
    message,
    ...params,
  );
  writeLog(line.replace(/\n/g, '\r') + '\n');
}

const nop = () => {};

// The RIC's structuredConsole.logError for the active format (set by patchConsole).
let logErrorImpl = (msg, err) => {
  console.error(msg, toFormatted(intoError(err)));
};

/** Log `err` the way the RIC does for "Invoke Error", "Uncaught Exception", ... */
function logError(msg, err) {
  logErrorImpl(msg, err);
}

/**
 * Patch the global console. Safe to call again (e.g. a pre-started runtime
 * re-reading AWS_LAMBDA_LOG_FORMAT/LEVEL once its function is assigned).
 */
function patchConsole(env = process.env) {
  const json = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const log = json ? jsonLog : textLog;
  const min = LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const make = (level) =>
    level.priority >= min.priority ? (msg, ...params) => log(level, msg, ...params) : nop;

  console.trace = make(LEVELS.TRACE);
  console.debug = make(LEVELS.DEBUG);
  console.info = make(LEVELS.INFO);
  console.log = console.info;
  console.warn = make(LEVELS.WARN);
  console.error = make(LEVELS.ERROR);
  console.fatal = (msg, ...params) => log(LEVELS.FATAL, msg, ...params);

  logErrorImpl = json
    ? (_msg, err) => console.error(intoError(err))
    : (msg, err) => console.error(msg, toFormatted(intoError(err)));
}

module.exports = { setCurrentRequestId, setCurrentTenantId, writeLog, logError, patchConsole };
