"""kindling Python runtime entry point.

Started by the platform as ``/usr/bin/python3.11 <RUNTIME_DIR>/python/bootstrap.py``
(cwd = LAMBDA_TASK_ROOT) with the Lambda environment (_HANDLER,
AWS_LAMBDA_RUNTIME_API, ...).  An optional argv[1] overrides _HANDLER, like
``python -m awslambdaric <handler>``.

This file is deliberately tiny: a script run as __main__ is recompiled on every
start, while the modules in kindling_ric/ are loaded from cached bytecode.
"""

import os
import sys

# Python puts this script's (symlink-resolved) directory first on sys.path;
# make sure of it (e.g. under -P), import the runtime, then drop the directory
# again: the function's modules are resolved from LAMBDA_TASK_ROOT, which
# runtime.load_handler() puts first.
_here = os.path.dirname(os.path.realpath(__file__))
if not sys.path or sys.path[0] != _here:
    sys.path.insert(0, _here)
from kindling_ric import runtime  # noqa: E402

del sys.path[0]

if __name__ == "__main__":
    runtime.main()
