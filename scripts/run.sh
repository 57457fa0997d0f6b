#!/usr/bin/env bash
# `make run`: start kindling in the foreground, deploy the example function, say what to try.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LISTEN=${LISTEN:-127.0.0.1:9000}
DATA_DIR=${DATA_DIR:-./.kindling}
BIN="$BUILD/kindling"
ENDPOINT="http://$LISTEN"

"$BIN" serve --listen "$LISTEN" --data-dir "$DATA_DIR" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER' INT TERM

for _ in $(seq 1 100); do
  if curl -fsS "$ENDPOINT/kindling/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 $SERVER 2>/dev/null; then wait $SERVER; exit 1; fi
  sleep 0.1
done

"$BIN" deploy examples/hello-python --endpoint "$ENDPOINT" --name hello \
  --runtime python3.11 --handler app.handler --memory 128 --timeout 10

cat <<MSG

  kindling is running on $ENDPOINT (data in $DATA_DIR); the function 'hello' is deployed.
  Try (press Ctrl-C here to stop kindling):

    $BIN invoke hello '{"name":"kindling"}' --tail
    $BIN logs hello
    curl -s -X POST $ENDPOINT/2015-03-31/functions/hello/invocations -d '{"name":"curl"}'
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \\
      /usr/bin/aws --endpoint-url $ENDPOINT lambda invoke --function-name hello \\
      --cli-binary-format raw-in-base64-out --payload '{"name":"aws"}' /dev/stdout

MSG
wait $SERVER
