"""kindling's Python runtime interface client (standard library only).

A drop-in for AWS's awslambdaric as seen by a handler: same handler-string
rules, error types and messages, context object, log formats and response
bytes.  The package name is deliberately unusual so it can never collide with a
module in the function's code (everything here lands in ``sys.modules``).

Modules:
  runtime  -- load_handler() / serve_forever(handler) / main(): the invoke loop
  client   -- minimal keep-alive HTTP/1.1 client for the Runtime API
  context  -- LambdaContext and friends
  encoding -- JSON marshalling that reproduces awslambdaric's output bytes
  logs     -- unbuffered stdio, root-logger setup, error log lines
"""
