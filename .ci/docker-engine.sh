# Sourced by .ci/compose-check: engine_start, engine_run and engine_stop, a Docker engine
# (Debian's dockerd) of CI's own, as there is no init system to ask for one. It never meets
# another engine on the machine nor changes the machine's network: it runs in a network namespace
# of its own (`unshare --net`), so its bridges, iptables chains, ip_forward and published ports
# live there, and vanish with it; and it has its own --data-root (in the cache, so the base image
# survives between runs), --exec-root, --pidfile and unix socket (-H). Commands that use the
# published ports run in that namespace (engine_run). One such engine per cache at a time: a
# second CI run waits on the lock <cache>/docker.lock.

ENGINE_CACHE="${SCC_SIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scc-sim}"
ENGINE_ROOT="$ENGINE_CACHE/docker"
ENGINE_PIDFILE="$ENGINE_CACHE/docker.pid"
ENGINE_RUN=""          # this run's folder: exec-root, socket, log
ENGINE_PID=""
ENGINE_LOCK_FD=""
ENGINE_LEFT=""         # set by engine_stop when something of the engine still ran after it
ENGINE_RUN_DOCKER=""   # whether /run/docker was there before: dockerd makes /run/docker/plugins whatever its exec-root

engine_say() { echo "engine: $*"; }

# Waits until pid $1 has exited, SIGKILL after $2 seconds.
engine_await_exit() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { engine_say "pid $1 did not stop in $2 s: SIGKILL"; kill -KILL "$1" 2>/dev/null || true; }
    sleep 0.2
  done
}

# A dockerd on our data-root left by a CI run that was killed (we hold the lock, so no live run owns it).
engine_stop_orphan() {
  local pid run
  pid=$(cat "$ENGINE_PIDFILE" 2>/dev/null || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--data-root $ENGINE_ROOT " || return 0
  engine_say "stopping dockerd $pid, left running by an earlier run on $ENGINE_ROOT"
  run=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^--exec-root$/{n;s|/exec$||p}')
  kill -TERM "$pid"
  engine_await_exit "$pid" 30
  rm -f "$ENGINE_PIDFILE"
  [[ $run != /tmp/scc-sim-engine.* ]] || rm -rf "$run"
}

engine_start() {
  mkdir -p "$ENGINE_CACHE"
  exec {ENGINE_LOCK_FD}>"$ENGINE_CACHE/docker.lock"
  if ! flock -n "$ENGINE_LOCK_FD"; then
    engine_say "waiting for another CI run's engine (lock $ENGINE_CACHE/docker.lock)"
    flock -w "${SCC_SIM_ENGINE_LOCK_WAIT:-900}" "$ENGINE_LOCK_FD" || { engine_say "the lock was not released in time"; return 1; }
  fi
  engine_stop_orphan
  ENGINE_RUN=$(mktemp -d /tmp/scc-sim-engine.XXXXXX)
  [[ -e /run/docker ]] && ENGINE_RUN_DOCKER=1
  # setsid: its own session, so a time limit's signal to our process group reaches us, not the
  # engine, and the cleanup can still talk to it. The lock's descriptor stays with this shell.
  # unshare --net: a new network namespace, with its loopback up; then the shell becomes dockerd.
  setsid unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
    dockerd --data-root "$ENGINE_ROOT" --exec-root "$ENGINE_RUN/exec" --pidfile "$ENGINE_PIDFILE" \
    -H "unix://$ENGINE_RUN/docker.sock" \
    >"$ENGINE_RUN/dockerd.log" 2>&1 </dev/null {ENGINE_LOCK_FD}>&- &
  ENGINE_PID=$!
  export DOCKER_HOST="unix://$ENGINE_RUN/docker.sock"
  local deadline=$((SECONDS + 60))
  until docker version >/dev/null 2>&1; do
    if ! kill -0 "$ENGINE_PID" 2>/dev/null || ((SECONDS > deadline)); then
      engine_say "dockerd did not start; its log ends:"; tail -n 15 "$ENGINE_RUN/dockerd.log"
      return 1
    fi
    sleep 0.2
  done
  engine_say "dockerd $ENGINE_PID ($(docker version -f '{{.Server.Version}}')) in its own network namespace, on $DOCKER_HOST, data in $ENGINE_ROOT"
  # Whatever a killed run left inside (containers, networks, volumes) goes; images stay (cache).
  local left
  left=$(docker ps -aq)
  [[ -z $left ]] || { engine_say "removing containers left by an earlier run"; docker rm -f -v $left >/dev/null; }
  docker network prune -f >/dev/null
  docker volume prune -f >/dev/null
}

# engine_run command… : runs it in the engine's network namespace, where the published ports are.
engine_run() {
  nsenter --net="/proc/$ENGINE_PID/ns/net" -- "$@"
}

engine_stop() {
  [[ -n $ENGINE_PID ]] || return 0
  if kill -0 "$ENGINE_PID" 2>/dev/null; then kill -TERM "$ENGINE_PID"; engine_await_exit "$ENGINE_PID" 30; fi
  wait "$ENGINE_PID" 2>/dev/null || true
  local left
  left=$(pgrep -f -- "$ENGINE_RUN/" || true)
  if [[ -n $left ]]; then
    engine_say "still running after dockerd stopped: $(ps -o pid=,comm= -p "${left//$'\n'/,}" | tr '\n' ' ')"
    ENGINE_LEFT=1
  fi
  [[ -n $ENGINE_RUN_DOCKER ]] || rmdir /run/docker/plugins /run/docker 2>/dev/null || true
  engine_say "dockerd $ENGINE_PID stopped"
  rm -rf "$ENGINE_RUN"
  ENGINE_PID=""
  unset DOCKER_HOST
  flock -u "$ENGINE_LOCK_FD"
  exec {ENGINE_LOCK_FD}>&-
}
