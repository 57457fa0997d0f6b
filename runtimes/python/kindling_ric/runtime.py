"""Handler loading and the invoke loop (awslambdaric's bootstrap.run).

Two phases, so that a future "init once, fork many" mode can fork between them:

``load_handler()``
    stdio made unbuffered, root logger armed, LAMBDA_TASK_ROOT put first on
    sys.path, the handler module imported and the function looked up.  On
    failure the error is logged, POSTed to /runtime/init/error with
    ``Lambda-Runtime-Function-Error-Type`` and the process exits with status 1.
    No connection to the Runtime API is left open on success.

``serve_forever(handler)``
    opens the (single, keep-alive) Runtime API connection and loops:
    GET /next -> call handler -> POST /response or /error.  Any Runtime API
    failure raises RuntimeAPIError, which ``main()`` turns into exit status 1.

Error payloads, messages and log lines follow awslambdaric exactly (see
README.md for the list of error types).
"""

import importlib
import os
import sys

from . import logs
from .client import RuntimeAPIError, RuntimeClient
from .context import LambdaContext
from .encoding import (FaultException, marshal_response, to_json,
                       unmarshal_request)

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_BOOTSTRAP_FILE = os.path.join(os.path.dirname(_PACKAGE_DIR), "bootstrap.py")
# awslambdaric drops the X-Ray cause header at 1 MiB; kindling's Runtime API
# server limits request headers (64 KiB by default) and nothing in kindling
# reads the cause, so drop it much earlier rather than risk a 431 -> exit.
_XRAY_MAX_HEADER = 32 * 1024


# --------------------------------------------------------------------------
# Error results

def make_error(error_message, error_type, stack_trace, invoke_id=None):
    return {
        "errorMessage": error_message if error_message else "",
        "errorType": error_type if error_type else "",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _is_runtime_frame(filename):
    return filename.startswith(_PACKAGE_DIR) or filename == _BOOTSTRAP_FILE


def _user_frames(tb):
    """(file, line, name, code) tuples, minus the runtime's own leading frames."""
    import traceback

    frames = [(f.filename, f.lineno, f.name, f.line)
              for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if not _is_runtime_frame(frame[0]):
            return frames[i:]
    return frames


def _format_frames(frames):
    import traceback

    # Plain tuples -> no 3.11 column carets, exactly like awslambdaric.
    return traceback.format_list(frames)


def build_fault_result(exc_info, invoke_id=None):
    etype, value, tb = exc_info
    frames = _user_frames(tb)
    return make_error(str(value), etype.__name__, _format_frames(frames),
                      invoke_id), frames


def make_xray_fault(ex_type, ex_msg, working_dir, frames):
    stack = []
    files = set()
    for tb_file, tb_line, tb_method, _ in frames:
        stack.append({"label": tb_method, "path": tb_file, "line": tb_line})
        files.add(tb_file)
    return {
        "working_directory": working_dir,
        "exceptions": [{"message": ex_msg, "type": ex_type, "stack": stack}],
        "paths": list(files),
    }


# --------------------------------------------------------------------------
# Phase 1: load the handler

def _get_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME,
                             "Bad handler '{}': {}".format(handler, str(e)))
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module {} as a handler module".format(modname))
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR,
            "Unable to import module '{}': {}".format(modname, str(e)))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '{}': {}".format(modname, str(e)), trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(FaultException.HANDLER_NOT_FOUND,
                             "Handler '{}' missing on module '{}'".format(
                                 fname, modname), None)


def _setup_sys_path(task_root):
    if task_root in sys.path:
        sys.path.remove(task_root)
    extra = [p for p in ("/opt/python/lib/python%d.%d/site-packages"
                         % sys.version_info[:2], "/opt/python")
             if p not in sys.path and os.path.isdir(p)]
    sys.path[0:0] = [task_root] + extra


def load_handler(handler=None):
    """Import and return the function's handler (exits the process on failure)."""
    logs.install_stdio()
    logs.install_logging()
    if handler is None:
        handler = os.environ.get("_HANDLER", "")
    _setup_sys_path(os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())
    try:
        return _get_handler(handler)
    except Exception as e:
        if isinstance(e, FaultException):
            error_result = make_error(e.msg, e.exception_type, e.trace)
        else:
            error_result = build_fault_result(sys.exc_info())[0]
        _report_init_error(error_result)


def _report_init_error(error_result):
    import logging  # configured on import by logs.install_logging()

    logging.warning(logs.LAMBDA_UNHANDLED_EXCEPTION_WARNING)
    logs.log_error(error_result)
    try:
        client = RuntimeClient(os.environ.get("AWS_LAMBDA_RUNTIME_API", ""))
        client.post_init_error(to_json(error_result).encode("utf-8"),
                               error_result["errorType"])
    except (RuntimeAPIError, ValueError) as e:
        _fatal(e)
    _exit(1)


# --------------------------------------------------------------------------
# Phase 2: the invoke loop

def _parse_json_header(header, name):
    import json

    try:
        return json.loads(header)
    except Exception as e:
        raise FaultException(FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR,
                             "Unable to parse {} JSON: {}".format(name, str(e)),
                             None)


def _handle_event(client, request_handler, invoke_id, body, headers):
    cwd = None
    try:
        client_context = headers.get("lambda-runtime-client-context")
        cognito_identity = headers.get("lambda-runtime-cognito-identity")
        try:
            deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)
        except ValueError:
            deadline_ms = 0
        context = LambdaContext(
            invoke_id,
            _parse_json_header(client_context, "Client Context")
            if client_context else None,
            _parse_json_header(cognito_identity, "Cognito Identity")
            if cognito_identity else None,
            deadline_ms,
            headers.get("lambda-runtime-invoked-function-arn", ""),
            headers.get("lambda-runtime-aws-tenant-id") or None,
        )
        event = unmarshal_request(body, headers.get("content-type"))
        response = request_handler(event, context)
        payload, content_type = marshal_response(response)
    except FaultException as e:
        cwd = os.getcwd()
        xray_fault = make_xray_fault("LambdaValidationError", e.msg, cwd, [])
        error_result = make_error(e.msg, e.exception_type, e.trace, invoke_id)
    except Exception:
        etype, value, _ = exc_info = sys.exc_info()
        error_result, frames = build_fault_result(exc_info, invoke_id)
        cwd = os.getcwd()
        xray_fault = make_xray_fault(etype.__name__, str(value), cwd, frames)
        del exc_info, value
    else:
        logs.flush_stdio()
        client.post_invocation_result(invoke_id, payload, content_type)
        return

    logs.log_error(error_result)
    logs.flush_stdio()
    xray = to_json(xray_fault)
    if len(xray.encode()) >= _XRAY_MAX_HEADER:
        xray = ""
    client.post_invocation_error(invoke_id, to_json(error_result).encode("utf-8"),
                                 xray)


def serve_forever(request_handler, runtime_api=None):
    """Poll the Runtime API for invokes forever; raises RuntimeAPIError."""
    if runtime_api is None:
        runtime_api = os.environ["AWS_LAMBDA_RUNTIME_API"]
    client = RuntimeClient(runtime_api)
    next_invocation = client.next_invocation
    environ = os.environ
    state = logs.RequestState
    while True:
        body, headers = next_invocation()
        invoke_id = headers.get("lambda-runtime-aws-request-id")
        if not invoke_id:
            raise RuntimeAPIError("/runtime/invocation/next",
                                  "missing Lambda-Runtime-Aws-Request-Id header")
        state.aws_request_id = invoke_id
        state.tenant_id = headers.get("lambda-runtime-aws-tenant-id") or None
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            environ["_X_AMZN_TRACE_ID"] = trace_id
        elif "_X_AMZN_TRACE_ID" in environ:
            del environ["_X_AMZN_TRACE_ID"]
        _handle_event(client, request_handler, invoke_id, body, headers)


# --------------------------------------------------------------------------
# Process entry

def _exit(status):
    logs.flush_stdio()
    os._exit(status)


def _fatal(error):
    try:
        sys.stderr.write(f"[kindling] Runtime API failure, exiting: {error}\n")
    finally:
        _exit(1)


def main(argv=None):
    argv = sys.argv if argv is None else argv
    handler = load_handler(argv[1] if len(argv) > 1 else None)
    try:
        serve_forever(handler)
    except (RuntimeAPIError, KeyError, ValueError) as e:
        _fatal(e)
