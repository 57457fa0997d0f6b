// user-function.cjs — turns a Lambda handler string ("file.fn", "dir/file.fn",
// "file.obj.fn") into the user's function, resolving and loading the module in
// the same order as AWS's Node RIC (src/UserFunction.js, Node < 24 branch):
//   1. <root>/<dir>/<file>            (extensionless, require)
//   2. <file>.js via require          (unless the nearest package.json says "type":"module")
//   3. <file>.js via import           (only when "type":"module")
//   4. <file>.mjs via import
//   5. <file>.cjs via require
//   6. require.resolve(<file>, {paths: [appRoot, moduleRoot]})  (node_modules, NODE_PATH...)
// Load failures become Runtime.MalformedHandlerName / ImportModuleError /
// UserCodeSyntaxError / HandlerNotFound with the RIC's messages.

'use strict';

const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  MalformedStreamingHandler,
  UserCodeSyntaxError,
} = require('./errors.cjs');

// Anchor require at the bootstrap entry file, so "Require stack" in
// MODULE_NOT_FOUND messages names it (the RIC's names /var/runtime/index.mjs).
const userRequire = createRequire(path.join(__dirname, 'index.mjs'));

const FUNCTION_EXPR = /^([^.]*)\.(.*)$/;
const RELATIVE_PATH_SUBSTRING = '..';
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

// "./a/b/module.obj.fn" -> ["./a/b/", "module.obj.fn"] (first occurrence, as the RIC).
function moduleRootAndHandler(fullHandlerString) {
  const handlerString = path.basename(fullHandlerString);
  const moduleRoot = fullHandlerString.substring(0, fullHandlerString.indexOf(handlerString));
  return [moduleRoot, handlerString];
}

function splitHandlerString(handler) {
  const match = handler.match(FUNCTION_EXPR);
  if (!match || match.length !== 3) throw new MalformedHandlerName('Bad handler');
  return [match[1], match[2]];
}

function resolveHandler(object, nestedProperty) {
  return nestedProperty.split('.').reduce((nested, key) => nested && nested[key], object);
}

function tryRequireFile(file, extension = '') {
  const p = file + extension;
  return existsSync(p) ? userRequire(p) : undefined;
}

async function tryAwaitImport(file, extension = '') {
  const p = file + extension;
  return existsSync(p) ? await import(pathToFileURL(p).href) : undefined;
}

// Nearest package.json decides; a node_modules boundary or "/" means "not a module".
function hasFolderPackageJsonTypeModule(folder) {
  if (folder.endsWith('/node_modules')) return false;
  const pj = path.join(folder, '/package.json');
  if (existsSync(pj)) {
    try {
      const pkg = JSON.parse(readFileSync(pj));
      if (pkg) return pkg.type === 'module';
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  if (folder === '/') return false;
  return hasFolderPackageJsonTypeModule(path.resolve(folder, '..'));
}

async function tryRequire(appRoot, moduleRoot, module) {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, module);

  const extensionless = tryRequireFile(lambdaStylePath);
  if (extensionless) return extensionless;

  const pjHasModule = hasFolderPackageJsonTypeModule(path.resolve(path.dirname(lambdaStylePath)));
  if (!pjHasModule) {
    const loaded = tryRequireFile(lambdaStylePath, '.js');
    if (loaded) return loaded;
  }

  const loaded =
    (pjHasModule && (await tryAwaitImport(lambdaStylePath, '.js'))) ||
    (await tryAwaitImport(lambdaStylePath, '.mjs')) ||
    tryRequireFile(lambdaStylePath, '.cjs');
  if (loaded) return loaded;

  // Fall back to Node's own resolution relative to the app root (not to this file).
  const nodeStylePath = userRequire.resolve(module, { paths: [appRoot, moduleRoot] });
  return userRequire(nodeStylePath);
}

/**
 * Hook for the `awslambda` global (streamifyResponse, HttpResponseStream).
 * Response streaming is not implemented yet; when it is, install the global
 * here, before user code is evaluated (the RIC does it in _loadUserApp).
 */
function installAwsLambdaGlobal() {}

async function loadUserApp(appRoot, moduleRoot, module) {
  installAwsLambdaGlobal();
  try {
    return await tryRequire(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e != null && e.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }
}

/**
 * Load the user's handler function.
 * @param {string} appRoot  function directory (LAMBDA_TASK_ROOT)
 * @param {string} fullHandlerString  e.g. "index.handler", "src/app.obj.fn"
 * @returns {Promise<Function>}
 * @throws Runtime.* errors (see file header) or whatever the module throws at load.
 */
async function loadHandler(appRoot, fullHandlerString) {
  if (fullHandlerString.includes(RELATIVE_PATH_SUBSTRING)) {
    throw new MalformedHandlerName(
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const [moduleRoot, moduleAndHandler] = moduleRootAndHandler(fullHandlerString);
  const [module, handlerPath] = splitHandlerString(moduleAndHandler);

  const userApp = await loadUserApp(appRoot, moduleRoot, module);
  const handlerFunc = resolveHandler(userApp, handlerPath);
  if (!handlerFunc) {
    throw new HandlerNotFound(`${fullHandlerString} is undefined or not exported`);
  }
  if (typeof handlerFunc !== 'function') {
    throw new HandlerNotFound(`${fullHandlerString} is not a function`);
  }
  return handlerFunc;
}

function isAsync(handler) {
  try {
    return handler?.constructor?.name === 'AsyncFunction';
  } catch {
    return false;
  }
}

function streamingMode(handler) {
  const mode = handler[HANDLER_STREAMING];
  if (mode === undefined || mode === null || mode === false) return false;
  if (mode === STREAM_RESPONSE) return STREAM_RESPONSE;
  throw new MalformedStreamingHandler('Only response streaming is supported.');
}

function highWaterMark(handler) {
  const v = handler[HANDLER_HIGHWATERMARK];
  if (v === undefined || v === null || v === false) return undefined;
  const hwm = parseInt(v);
  return Number.isNaN(hwm) ? undefined : hwm;
}

/** What the invoke loop needs to know about a handler. */
function getHandlerMetadata(handler) {
  return {
    streaming: streamingMode(handler),
    highWaterMark: highWaterMark(handler),
    isAsync: isAsync(handler),
    argsNum: handler.length,
  };
}

module.exports = { STREAM_RESPONSE, loadHandler, getHandlerMetadata };
