"""Function log output: unbuffered stdio, the root logger, error lines.

Everything ends up on stdout (the platform reads stdout+stderr as one pipe).
Formats match awslambdaric:

* Text (default): ``[LEVEL]\\t2024-01-02T03:04:05.678Z\\t<request id>\\t<msg>\\n``
* JSON (AWS_LAMBDA_LOG_FORMAT=JSON): one object per record with
  timestamp/level/message/logger/requestId (+ errorType/errorMessage/
  stackTrace/location for exceptions, + any ``extra`` fields);
* error reports: ``[ERROR] Type: msg\\rTraceback (most recent call last):\\r``
  followed by the frames (leading spaces turned into U+00A0), joined with
  ``\\r`` so the whole report is one line of the log.

AWS_LAMBDA_LOG_LEVEL sets the root logger's level (TRACE means DEBUG).

Cold-start optimisation: importing ``logging`` costs several milliseconds, so
instead of importing it up front a ``sys.meta_path`` finder waits for the
first ``import logging`` (by the function or any library) and configures the
root logger the moment the module has executed, before the importer sees it.
The finder removes itself afterwards and leaves no trace on the module.  The
end state is the same as awslambdaric's eager setup.
"""

import os
import sys
import time

ERROR_LOG_LINE_TERMINATE = "\r"
ERROR_LOG_IDENT = "\u00a0"  # NO-BREAK SPACE
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
TEXT_FORMAT = ("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t"
               "%(aws_request_id)s\t%(message)s\n")

LAMBDA_UNHANDLED_EXCEPTION_WARNING = (
    "LAMBDA_WARNING: "
    "Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected "
    "function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by "
    "a function change, or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version "
    "in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be "
    "able to mitigate this error by temporarily rolling back to the previous "
    "runtime version. "
    "For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

JSON_FORMAT = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
_level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
LOG_LEVEL = {None: "", "TRACE": "DEBUG"}.get(_level, _level).upper()
del _level


class RequestState:
    """Per-invoke values read by the log filter (set by the invoke loop)."""

    aws_request_id = None
    tenant_id = None


class Unbuffered(object):
    """Wraps sys.stdout/sys.stderr so every write reaches the pipe at once."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        pass

    def __getattr__(self, attr):
        return getattr(self.stream, attr)

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()


class StandardLogSink(object):
    """Where log records and error reports go: the current sys.stdout."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        pass

    def log(self, msg, frame_type=None):
        sys.stdout.write(msg)

    def log_error(self, message_lines):
        sys.stdout.write(ERROR_LOG_LINE_TERMINATE.join(message_lines) + "\n")


LOG_SINK = StandardLogSink()


def install_stdio():
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)


def flush_stdio():
    """Flush whatever sys.stdout/sys.stderr are now (e.g. after .buffer writes)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


# --------------------------------------------------------------------------
# Root logger setup (deferred until the first `import logging`).

class _LoggingFinder:
    """meta_path hook: configure the root logger when `logging` is imported."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "logging":
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is cls or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _ConfiguringLoader(spec.loader)
        return spec


class _ConfiguringLoader:
    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _remove_finder()
        configure_logging(module)


def _remove_finder():
    try:
        sys.meta_path.remove(_LoggingFinder)
    except ValueError:
        pass


def install_logging():
    """Arrange for the root logger to be configured like awslambdaric's."""
    module = sys.modules.get("logging")
    if module is not None:
        configure_logging(module)
    elif _LoggingFinder not in sys.meta_path:
        sys.meta_path.insert(0, _LoggingFinder)


_configured = False


def configure_logging(logging):
    global _configured
    if _configured:
        return
    _configured = True
    classes = _define_classes(logging)
    logging.Formatter.converter = time.gmtime
    logger = logging.getLogger()
    if JSON_FORMAT or LOG_LEVEL:
        handler = classes["LambdaLoggerHandlerWithFrameType"](LOG_SINK)
    else:
        handler = classes["LambdaLoggerHandler"](LOG_SINK)
    if JSON_FORMAT:
        handler.setFormatter(classes["JsonFormatter"]())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT, DATETIME_FORMAT))
    if LOG_LEVEL in logging._nameToLevel:
        logger.setLevel(LOG_LEVEL)
    handler.addFilter(classes["LambdaLoggerFilter"]())
    logger.addHandler(handler)


_RESERVED_FIELDS = {
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename",
    "module", "exc_info", "exc_text", "stack_info", "lineno", "funcName",
    "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "aws_request_id", "tenant_id", "_frame_type",
}


def _format_log_level(record):
    return min(50, max(0, record.levelno)) // 10 * 10


def _define_classes(logging):
    """Build the logging.Handler/Filter/Formatter subclasses (needs logging)."""

    class LambdaLoggerHandler(logging.Handler):
        def __init__(self, log_sink):
            logging.Handler.__init__(self)
            self.log_sink = log_sink

        def emit(self, record):
            self.log_sink.log(self.format(record))

    class LambdaLoggerHandlerWithFrameType(logging.Handler):
        def __init__(self, log_sink):
            super().__init__()
            self.log_sink = log_sink

        def emit(self, record):
            self.log_sink.log(self.format(record))

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = RequestState.aws_request_id or ""
            record.tenant_id = RequestState.tenant_id
            return True

    class JsonFormatter(logging.Formatter):
        def __init__(self):
            super().__init__(datefmt=DATETIME_FORMAT)
            import datetime
            import json
            import traceback
            self._encode = json.JSONEncoder(ensure_ascii=False).encode
            self._fromtimestamp = datetime.datetime.fromtimestamp
            self._utc = datetime.timezone.utc
            self._format_tb = traceback.format_tb

        def formatTime(self, record, datefmt=None):
            dt = self._fromtimestamp(record.created, tz=self._utc)
            return dt.strftime(DATETIME_FORMAT + ".%f")[:-3] + "Z"

        def format(self, record):
            record.levelno = _format_log_level(record)
            record.levelname = logging.getLevelName(record.levelno)
            exc_info = record.exc_info
            result = {
                "timestamp": self.formatTime(record, self.datefmt),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": self._format_tb(exc_info[2]) if exc_info else None,
                "errorType": exc_info[0].__name__ if exc_info else None,
                "errorMessage": str(exc_info[1]) if exc_info else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": (f"{record.pathname}:{record.funcName}:{record.lineno}"
                             if exc_info else None),
            }
            if getattr(record, "tenant_id", None) is not None:
                result["tenantId"] = record.tenant_id
            result.update(
                (key, value) for key, value in record.__dict__.items()
                if key not in _RESERVED_FIELDS and key not in result
            )
            result = {k: v for k, v in result.items() if v is not None}
            return self._encode(result) + "\n"

    return {c.__name__: c for c in (LambdaLoggerHandler,
                                    LambdaLoggerHandlerWithFrameType,
                                    LambdaLoggerFilter, JsonFormatter)}


# --------------------------------------------------------------------------
# Error reports (init errors and invoke errors).

def _replace_line_indentation(line, indent_char, new_indent_char):
    count = len(line) - len(line.lstrip(indent_char))
    return (new_indent_char * count) + line[count:]


def log_error(error_result):
    """Write an error result the way awslambdaric's log_error does."""
    if JSON_FORMAT:
        from .encoding import to_json
        record = {
            "timestamp": time.strftime(DATETIME_FORMAT, time.gmtime(time.time())),
            "level": "ERROR",
            **error_result,
        }
        LOG_SINK.log_error([to_json(record)])
        return

    description = "[ERROR]"
    error_type = error_result.get("errorType")
    if error_type:
        description += " " + error_type
    error_message = error_result.get("errorMessage")
    if error_message:
        if error_type:
            description += ":"
        description += " " + error_message

    lines = [description]
    stack_trace = error_result.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            if element == "":
                lines.append("")
                continue
            for trace_line in element.splitlines():
                lines.append(_replace_line_indentation(trace_line, " ",
                                                       ERROR_LOG_IDENT))
    LOG_SINK.log_error(lines)
