"""JSON (un)marshalling with awslambdaric's exact output bytes.

awslambdaric encodes with ``simplejson.JSONEncoder(use_decimal=False,
allow_nan=True)`` plus a ``default`` that turns ``Decimal`` into raw JSON
numbers.  Observable consequences reproduced here:

* separators are ``", "`` and ``": "`` (``{"a": 1, "b": [1, 2]}``);
* ``ensure_ascii`` is on, except for the python3.12+ execution environments
  (where U+2028/U+2029 are still escaped, as simplejson does);
* ``NaN`` / ``Infinity`` are emitted bare;
* ``Decimal('1.10')`` is emitted as ``1.10`` (``Decimal('NaN')`` as ``NaN``);
* ``bytes`` nested in the result are decoded as UTF-8 and emitted as strings;
* objects with a callable ``_asdict`` (namedtuples) become JSON objects --
  except namedtuples that the C fast path sees first (see below).

The fast path is the stdlib C encoder (same separators/escaping); any value it
cannot encode natively makes it bail out to a small pure-Python encoder with
simplejson's semantics, which also produces the authoritative error message.
Known divergence: a namedtuple with no bytes/Decimal/unknown object anywhere in
the result is encoded as an array by the fast path.
"""

import json
import os
import sys

from json.encoder import encode_basestring, encode_basestring_ascii

MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"


class FaultException(Exception):
    """A runtime-classified failure (errorType like ``Runtime.MarshalError``)."""

    MARSHAL_ERROR = MARSHAL_ERROR
    UNMARSHAL_ERROR = UNMARSHAL_ERROR
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = LAMBDA_CONTEXT_UNMARSHAL_ERROR

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


def _ensure_ascii(execution_env):
    prefix = "AWS_Lambda_python3."
    if execution_env and execution_env.startswith(prefix):
        minor = execution_env[len(prefix):]
        if minor.isdigit() and int(minor) >= 12:
            return False
    return True


ENSURE_ASCII = _ensure_ascii(os.environ.get("AWS_EXECUTION_ENV"))
_encode_str = encode_basestring_ascii if ENSURE_ASCII else encode_basestring


class _Slow(Exception):
    """Raised by the fast path's ``default`` hook: use the Python encoder."""


def _bail_out(obj):
    raise _Slow


_fast_encode = json.JSONEncoder(ensure_ascii=ENSURE_ASCII, allow_nan=True,
                                default=_bail_out).encode


class _RawJSON:
    __slots__ = ("encoded_json",)

    def __init__(self, encoded_json):
        self.encoded_json = encoded_json


def _default(obj):
    """awslambdaric's Encoder.default: Decimal support, else TypeError."""
    decimal = sys.modules.get("decimal")  # a Decimal implies it is imported
    if decimal is not None and isinstance(obj, decimal.Decimal):
        if obj.is_nan():
            return float("nan")
        return _RawJSON(str(obj))
    raise TypeError("Object of type %s is not JSON serializable"
                    % obj.__class__.__name__)


def _floatstr(o):
    if o != o:
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == float("-inf"):
        return "-Infinity"
    return float.__repr__(float(o))


def _key(key):
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        return key.decode("utf-8")
    if isinstance(key, float):
        return _floatstr(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(int(key))
    raise TypeError("keys must be str, int, float, bool or None, not %s"
                    % key.__class__.__name__)


def _slow_encode(obj):
    """Pure-Python encoder following simplejson's _make_iterencode order."""
    out = []
    append = out.append
    markers = {}

    def enter(o):
        marker = id(o)
        if marker in markers:
            raise ValueError("Circular reference detected")
        markers[marker] = o
        return marker

    def encode_seq(seq):
        if not seq:
            append("[]")
            return
        marker = enter(seq)
        append("[")
        first = True
        for item in seq:
            if first:
                first = False
            else:
                append(", ")
            encode(item)
        append("]")
        del markers[marker]

    def encode_dict(dct):
        if not dct:
            append("{}")
            return
        marker = enter(dct)
        append("{")
        first = True
        for k, v in dct.items():
            k = _key(k)
            if first:
                first = False
            else:
                append(", ")
            append(_encode_str(k))
            append(": ")
            encode(v)
        append("}")
        del markers[marker]

    def encode(o):
        if isinstance(o, str):
            append(_encode_str(o))
        elif isinstance(o, bytes):
            append(_encode_str(o.decode("utf-8")))
        elif isinstance(o, _RawJSON):
            append(o.encoded_json)
        elif o is None:
            append("null")
        elif o is True:
            append("true")
        elif o is False:
            append("false")
        elif isinstance(o, int):
            append(int.__repr__(int(o)))
        elif isinstance(o, float):
            append(_floatstr(o))
        elif isinstance(o, list):
            encode_seq(o)
        else:
            asdict = getattr(o, "_asdict", None)
            if asdict is not None and callable(asdict):
                encode_dict(asdict())
            elif isinstance(o, tuple):
                encode_seq(o)
            elif isinstance(o, dict):
                encode_dict(o)
            else:
                marker = enter(o)
                encode(_default(o))
                del markers[marker]

    encode(obj)
    return "".join(out)


def to_json(obj):
    """Encode ``obj`` exactly as awslambdaric's ``to_json`` would."""
    try:
        text = _fast_encode(obj)
    except Exception:
        text = _slow_encode(obj)
    if not ENSURE_ASCII and ("\u2028" in text or "\u2029" in text):
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def marshal_response(response):
    """Return ``(payload bytes, content type)`` for a handler result."""
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return to_json(response).encode("utf-8"), "application/json"
    except Exception as e:
        raise FaultException(MARSHAL_ERROR,
                             "Unable to marshal response: {}".format(str(e)),
                             None)


def unmarshal_request(body, content_type):
    """Decode the event: JSON only when Content-Type is exactly application/json."""
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as e:
        raise FaultException(UNMARSHAL_ERROR,
                             "Unable to unmarshal input: {}".format(str(e)),
                             None)
