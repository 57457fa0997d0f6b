"""Handlers the end-to-end tests invoke. Each one exercises one behaviour."""
import os
import signal
import sys
import time
import uuid

ENVIRONMENT_ID = uuid.uuid4().hex  # distinct per execution environment
COUNT = 0


def echo(event, context):
    global COUNT
    COUNT += 1
    cc = context.client_context
    return {
        "event": event,
        "environment": ENVIRONMENT_ID,
        "count": COUNT,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "log_group": context.log_group_name,
        "log_stream": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "client_custom": cc.custom if cc else None,
        "client_app": cc.client.app_title if cc and cc.client else None,
        "env_var": os.environ.get("GREETING"),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "handler_env": os.environ.get("_HANDLER"),
        "credentials": all(os.environ.get(k) for k in
                           ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")),
        "region": os.environ.get("AWS_REGION"),
        "init_type": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE"),
    }


class MyError(Exception):
    pass


def fail(event, context):
    raise ValueError("boom")


def custom_fail(event, context):
    raise MyError("custom failure")


def sleep(event, context):
    time.sleep(event.get("seconds", 1))
    return {"environment": ENVIRONMENT_ID, "pid": os.getpid()}


def oom(event, context):
    hog = []
    while True:
        hog.append(bytearray(16 << 20))


def crash(event, context):
    os._exit(3)


def segfault(event, context):
    os.kill(os.getpid(), signal.SIGSEGV)


def exit_clean(event, context):
    sys.exit(0)


def big(event, context):
    return "x" * event["size"]


def chatty(event, context):
    for i in range(event.get("lines", 3)):
        print(f"line {i} of {context.aws_request_id}")
    return "ok"


def flood(event, context):
    chunk = "y" * 65536 + "\n"
    for _ in range(event.get("chunks", 100)):
        sys.stdout.write(chunk)
    return "flooded"


def returns_none(event, context):
    return None
