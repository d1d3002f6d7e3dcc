#!/usr/bin/env bash
# `make demo` / `make stop`: run the platform in the background at http://$HOST:$PORT/ (default 127.0.0.1:8000)
# with the embedded database; pid in build/server.pid, log in build/server.log. Public links and QR codes name
# COUNTYZERO_PUBLIC_URL, which defaults here to that demo address. `start` is a no-op when a
# CountyZero server already answers there; it fails (exit 1) when the port is taken by something else.
set -u
HOST="${COUNTYZERO_DEMO_HOST:-127.0.0.1}"
PORT="${COUNTYZERO_DEMO_PORT:-8000}"
PIDFILE=build/server.pid
LOG=build/server.log
PY=.venv/bin/python
health() {
  "$PY" - "$HOST" "$PORT" <<'PYEOF' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/api/v1/health", timeout=1) as r:
    sys.exit(0 if json.load(r).get("status") == "ok" else 1)
PYEOF
}
port_taken() {
  "$PY" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('$HOST', $PORT)) != 0)"
}
case "${1:-start}" in
  start)
    if health; then echo "The platform already runs at http://$HOST:$PORT/ (make stop stops it)."; exit 0; fi
    if port_taken; then echo "Port $PORT on $HOST is taken by another program; set COUNTYZERO_DEMO_PORT." >&2; exit 1; fi
    mkdir -p build
    COUNTYZERO_PUBLIC_URL="${COUNTYZERO_PUBLIC_URL:-http://$HOST:$PORT}" \
      setsid nohup .venv/bin/countyzero serve --host "$HOST" --port "$PORT" >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 60); do health && break; sleep 0.5; done
    if ! health; then echo "The server did not start; see $LOG:" >&2; tail -n 20 "$LOG" >&2; exit 1; fi
    echo "The platform runs at http://$HOST:$PORT/ (pid $(cat "$PIDFILE"), log $LOG); make stop stops it."
    ;;
  stop)
    if [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null; then echo "stopped the platform (pid $(cat "$PIDFILE"))"
    else echo "no platform started by make demo is running"; fi
    rm -f "$PIDFILE"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
