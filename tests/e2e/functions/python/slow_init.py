import time

time.sleep(0.3)  # module-level init work


def handler(event, context):
    return "initialised"
