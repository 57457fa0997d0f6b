// CommonJS handlers for the end-to-end tests.
const crypto = require("node:crypto");

const environment = crypto.randomUUID();
let count = 0;

exports.echo = async (event, context) => {
  count += 1;
  console.log("echo called");
  return {
    event,
    environment,
    count,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memory: context.memoryLimitInMB,
    invokedArn: context.invokedFunctionArn,
    remaining: context.getRemainingTimeInMillis(),
    custom: context.clientContext ? context.clientContext.Custom || context.clientContext.custom : null,
    execEnv: process.env.AWS_EXECUTION_ENV,
  };
};

exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { style: "callback", got: event }), 5);
};

exports.callbackError = (event, context, callback) => {
  callback(new TypeError("bad callback"));
};

exports.fail = async () => {
  throw new Error("node boom");
};

class ValidationFailed extends Error {
  constructor(message) {
    super(message);
    this.name = "ValidationFailed";
  }
}

exports.custom = async () => {
  throw new ValidationFailed("custom node failure");
};

exports.sleep = async (event) => {
  await new Promise((r) => setTimeout(r, (event.seconds || 1) * 1000));
  return { environment };
};

exports.crash = async () => {
  process.exit(2);
};

exports.undef = async () => undefined;
