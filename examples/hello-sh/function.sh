# Handler for the hello-sh custom runtime (_HANDLER "function.handler"): $1 is the event JSON;
# what the function prints is the response. A non-zero exit becomes a function error.
handler() {
  EVENT_DATA=${1:-null}
  echo "handling an event of ${#EVENT_DATA} bytes" >&2
  printf '{"received":%s}' "$EVENT_DATA"
}
