# Sourced by .ci/compose-check: engine_start and engine_stop, a Docker engine (Debian's dockerd)
# of CI's own, as there is no init system to ask for one. It never fights another engine on the
# machine: its own --data-root (in the cache, so the base image survives between runs),
# --exec-root, --pidfile and unix socket (-H), no default bridge (--bridge=none: no docker0).
# One such engine per cache at a time: a second CI run waits on the lock <cache>/docker.lock.
# When another dockerd runs, ours leaves iptables alone (dockerd rebuilds its DOCKER chains at
# start, which would cut the other engine's rules); otherwise, once ours has stopped, the DOCKER
# chains it made are removed and FORWARD's policy and net.ipv4.ip_forward are put back.

ENGINE_CACHE="${SCC_SIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scc-sim}"
ENGINE_ROOT="$ENGINE_CACHE/docker"
ENGINE_PIDFILE="$ENGINE_CACHE/docker.pid"
ENGINE_RUN=""          # this run's folder: exec-root, socket, log
ENGINE_PID=""
ENGINE_LOCK_FD=""
ENGINE_HOST_STATE=""   # "<ip_forward> <FORWARD policy> <DOCKER chains> <had /run/docker>" before, when ours may touch iptables

engine_say() { echo "engine: $*"; }

# Every dockerd on the machine that is not ours (by pid), as "pid pid …".
engine_others() {
  local pid others=()
  for pid in $(pgrep -x dockerd || true); do [[ $pid == "$ENGINE_PID" ]] || others+=("$pid"); done
  echo "${others[*]}"
}

# A dockerd on our data-root left by a CI run that was killed (we hold the lock, so no live run owns it).
engine_stop_orphan() {
  local pid
  pid=$(cat "$ENGINE_PIDFILE" 2>/dev/null || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--data-root $ENGINE_ROOT " || return 0
  engine_say "stopping dockerd $pid, left running by an earlier run on $ENGINE_ROOT"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  rm -f "$ENGINE_PIDFILE"
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
  local flags=(--data-root "$ENGINE_ROOT" --exec-root "$ENGINE_RUN/exec" --pidfile "$ENGINE_PIDFILE"
    -H "unix://$ENGINE_RUN/docker.sock" --bridge=none)
  local others
  others=$(engine_others)
  if [[ -n $others ]]; then
    engine_say "another dockerd runs (pid $others): ours starts with --iptables=false --ip-forward=false"
    flags+=(--iptables=false --ip-forward=false)
  else
    ENGINE_HOST_STATE="$(sysctl -n net.ipv4.ip_forward) $(iptables -S FORWARD | awk '$1 == "-P" {print $3}') $(iptables-save | grep -c '^:DOCKER' || true) $([[ -e /run/docker ]] && echo 1 || echo 0)"
  fi
  # setsid: its own session, so a time limit's signal to our process group reaches us, not the
  # engine, and the cleanup can still talk to it. The lock's descriptor stays with this shell.
  setsid dockerd "${flags[@]}" >"$ENGINE_RUN/dockerd.log" 2>&1 </dev/null {ENGINE_LOCK_FD}>&- &
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
  engine_say "dockerd $ENGINE_PID ($(docker version -f '{{.Server.Version}}')) on $DOCKER_HOST, data in $ENGINE_ROOT"
  # Whatever a killed run left inside (containers, networks, volumes) goes; images stay (cache).
  local left
  left=$(docker ps -aq)
  [[ -z $left ]] || { engine_say "removing containers left by an earlier run"; docker rm -f -v $left >/dev/null; }
  docker network prune -f >/dev/null
  docker volume prune -f >/dev/null
}

# Put back what dockerd changed on the host (only when no other engine runs; see above).
engine_restore_host() {
  [[ -n $ENGINE_HOST_STATE && -z $(engine_others) ]] || return 0
  local forward policy chains run_docker table chain rule
  read -r forward policy chains run_docker <<<"$ENGINE_HOST_STATE"
  # dockerd makes /run/docker/plugins whatever its exec-root; empty folders only.
  ((run_docker == 1)) || { rmdir /run/docker/plugins /run/docker 2>/dev/null || true; }
  if ((chains == 0)); then
    for table in filter nat; do
      iptables-save -t "$table" | sed -nE 's/^-A ([A-Z]+) (.*-j DOCKER.*)$/\1 \2/p' | grep -v '^DOCKER' | while read -r chain rule; do
        # shellcheck disable=SC2086 # a rule is words, as iptables-save printed them
        iptables -t "$table" -D "$chain" $rule || true
      done
      for chain in $(iptables-save -t "$table" | sed -nE 's/^:(DOCKER[^ ]*) .*/\1/p'); do iptables -t "$table" -F "$chain" || true; done
      for chain in $(iptables-save -t "$table" | sed -nE 's/^:(DOCKER[^ ]*) .*/\1/p'); do iptables -t "$table" -X "$chain" || true; done
    done
  fi
  [[ -n $policy ]] && iptables -P FORWARD "$policy"
  sysctl -qw "net.ipv4.ip_forward=$forward"
}

engine_stop() {
  [[ -n $ENGINE_PID ]] || return 0
  if kill -0 "$ENGINE_PID" 2>/dev/null; then
    kill -TERM "$ENGINE_PID"
    local deadline=$((SECONDS + 30))
    while kill -0 "$ENGINE_PID" 2>/dev/null; do
      ((SECONDS < deadline)) || { engine_say "dockerd did not stop in 30 s: SIGKILL"; kill -KILL "$ENGINE_PID" 2>/dev/null || true; }
      sleep 0.2
    done
  fi
  wait "$ENGINE_PID" 2>/dev/null || true
  local left
  left=$(pgrep -f -- "$ENGINE_RUN/" || true)
  if [[ -n $left ]]; then engine_say "still running after dockerd stopped: $(ps -o pid=,comm= -p ${left//$'\n'/,} | tr '\n' ' ')"; ENGINE_LEFT=1; fi
  engine_restore_host
  engine_say "dockerd $ENGINE_PID stopped"
  rm -rf "$ENGINE_RUN"
  ENGINE_PID=""
  unset DOCKER_HOST
  flock -u "$ENGINE_LOCK_FD"
  exec {ENGINE_LOCK_FD}>&-
}
