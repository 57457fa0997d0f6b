"""The ``context`` object passed to handlers (awslambdaric's LambdaContext).

Attribute names, types and reprs follow awslambdaric: note that
``memory_limit_in_mb`` is the *string* from AWS_LAMBDA_FUNCTION_MEMORY_SIZE, as
it is on AWS, and ``identity`` is always an object (fields None when the invoke
carried no Cognito identity) while ``client_context`` is None without a header.
"""

import os
import sys
import time

# W3C trace-context fields surfaced by LambdaContext.w3c() (taken out of the
# client context's "w3c" member, as newer awslambdaric releases do).
W3C_ALLOWED_FIELDS = ("traceparent", "tracestate", "baggage")


class LambdaContext(object):
    def __init__(self, invoke_id, client_context, cognito_identity,
                 epoch_deadline_time_in_ms, invoked_function_arn=None,
                 tenant_id=None):
        environ = os.environ
        self.aws_request_id = invoke_id
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self._w3c_fields = _extract_and_strip_w3c(client_context)

        self.client_context = make_obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = make_obj_from_dict(
                Client, self.client_context.client)

        self.identity = make_obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get(
                "cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get(
                "cognitoIdentityPoolId")

        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self):
        epoch_now_in_ms = int(time.time() * 1000)
        delta_ms = self._epoch_deadline_time_in_ms - epoch_now_in_ms
        return delta_ms if delta_ms > 0 else 0

    def w3c(self):
        """Return the W3C trace-context fields carried by the invoke."""
        return dict(self._w3c_fields)

    def log(self, msg):
        # awslambdaric routes this to its log sink, which writes to stdout.
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}"
            "])"
        )


def _extract_and_strip_w3c(client_context):
    if not isinstance(client_context, dict) or "w3c" not in client_context:
        return {}
    raw = client_context.pop("w3c")
    if not isinstance(raw, dict):
        return {}
    return {k: raw[k] for k in W3C_ALLOWED_FIELDS if isinstance(raw.get(k), str)}


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}"
            "])"
        )


class Client(object):
    __slots__ = [
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    ]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"installation_id={self.installation_id},"
            f"app_title={self.app_title},"
            f"app_version_name={self.app_version_name},"
            f"app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}"
            "])"
        )


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return (
            f"{self.__class__.__name__}(["
            f"custom={self.custom},"
            f"env={self.env},"
            f"client={self.client}"
            "])"
        )


def make_obj_from_dict(_class, _dict):
    if _dict is None:
        return None
    obj = _class()
    for field in _class.__slots__:
        setattr(obj, field, _dict.get(field, None))
    return obj
