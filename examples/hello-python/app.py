"""The example function `make run` deploys: greets whoever the event names."""
import json
import os

invocations = 0  # module state survives between invocations of a warm environment


def handler(event, context):
    global invocations
    invocations += 1
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    print(f"greeting {name} (request {context.aws_request_id})")
    return {
        "message": f"Hello, {name}!",
        "function": context.function_name,
        "version": context.function_version,
        "memory_mb": context.memory_limit_in_mb,
        "warm_invocations": invocations,
        "runtime": os.environ.get("AWS_EXECUTION_ENV"),
    }
