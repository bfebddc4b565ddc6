#!/usr/bin/env bash
# Replays the Docker image build without a Docker engine and checks that the result serves /health.
#   1. copies the build context (repository minus .dockerignore) into a temporary directory;
#   2. lays out /app as the Dockerfile's COPY instructions do (every COPY without --from, parsed from the Dockerfile;
#      a source missing from the context fails, as `docker build` would);
#   3. runs the RUN steps marked `# build-check: run` (npm ci of the server workspace, pruning, smoke checks) with
#      the npm_config_* ENV of the Dockerfile (native modules built from source with the local Node's headers);
#   4. makes /app read-only, starts the Dockerfile's CMD as an unprivileged user (when run as root) with HOST=127.0.0.1
#      on a free port, a temporary SRE_DB_PATH and TMPDIR/HOME outside /app, waits for GET /health = 200 (30 s),
#      runs the HEALTHCHECK command, checks the store file was created, then stops the server with SIGTERM.
# Network: the npm registry only. Exit status non-zero on any failure. Usage: scripts/image/build-check.sh [--keep]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DOCKERFILE="$ROOT/Dockerfile"
KEEP="${1:-}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sre-build-check.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  if [[ "$KEEP" == "--keep" ]]; then echo "kept $WORK"; else chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"; fi
}
trap cleanup EXIT
step() { echo "==> $*"; }
die() { echo "build-check: $*" >&2; exit 1; }
START=$(date +%s)

# Dockerfile instructions with line continuations joined, comments kept (they carry the build-check markers).
INSTRUCTIONS="$WORK/instructions"
awk '
  /^[[:space:]]*#/ && cont == "" { print; next }
  { line = $0
    if (sub(/\\[[:space:]]*$/, "", line)) { cont = cont line " "; next }
    print cont line; cont = "" }
' "$DOCKERFILE" >"$INSTRUCTIONS"

# 1. build context
step "build context (repository minus .dockerignore)"
CONTEXT="$WORK/context"
mkdir -p "$CONTEXT"
EXCLUDES=()
while IFS= read -r pattern || [[ -n "$pattern" ]]; do
  pattern="${pattern%%#*}"; pattern="$(echo "$pattern" | xargs)"
  [[ -z "$pattern" ]] && continue
  [[ "$pattern" == !* ]] && die ".dockerignore negations (!) are not supported by this check"
  if [[ "$pattern" == "**/"* ]]; then EXCLUDES+=(--no-anchored "--exclude=${pattern#\*\*/}")
  else EXCLUDES+=(--anchored "--exclude=./${pattern#/}"); fi
done <"$ROOT/.dockerignore"
(cd "$ROOT" && tar "${EXCLUDES[@]}" -cf - .) | tar -C "$CONTEXT" -xf -
echo "    $(find "$CONTEXT" -type f | wc -l) files, $(du -sh "$CONTEXT" | cut -f1)"

# 2. COPY instructions (WORKDIR is /app in both stages)
step "COPY instructions"
APP="$WORK/app"
mkdir -p "$APP"
while read -r -a words; do
  args=()
  for w in "${words[@]:1}"; do [[ "$w" == --* ]] || args+=("$w"); done
  dest="${args[-1]}"; unset 'args[-1]'
  case "$dest" in /app|/app/) dest="$APP/" ;; /app/*) dest="$APP/${dest#/app/}" ;; /*) die "COPY to $dest outside /app is not replayed" ;; *) dest="$APP/$dest" ;; esac
  for src in "${args[@]}"; do
    [[ -e "$CONTEXT/$src" ]] || die "COPY source '$src' is not in the build context (excluded by .dockerignore or missing)"
    if [[ "$dest" == */ ]]; then mkdir -p "$dest"; cp -a "$CONTEXT/$src" "$dest"; else mkdir -p "$(dirname "$dest")"; cp -a "$CONTEXT/$src" "$dest"; fi
  done
done < <(grep -E '^COPY ' "$INSTRUCTIONS" | grep -v -- '--from=')
echo "    $(find "$APP" -type f | wc -l) files copied"

# 3. marked RUN steps with the Dockerfile's npm_config_* environment
step "RUN steps marked '# build-check: run'"
NODE_PREFIX="$(dirname "$(dirname "$(node -p process.execPath)")")"
NODEDIR=""
for candidate in "$NODE_PREFIX" /usr/local /usr; do
  if [[ -f "$candidate/include/node/node.h" ]]; then NODEDIR="$candidate"; break; fi
done
[[ -n "$NODEDIR" ]] || die "Node headers not found (include/node/node.h under $NODE_PREFIX): native modules cannot be compiled offline; install the headers of this Node (Debian: libnode-dev / nodejs from the distro)"
NPM_ENV=()
while read -r kv; do
  case "$kv" in npm_config_nodedir=*) NPM_ENV+=("npm_config_nodedir=$NODEDIR") ;; npm_config_*=*) NPM_ENV+=("$kv") ;; esac
done < <(grep -E '^ENV ' "$INSTRUCTIONS" | sed 's/^ENV //' | tr -s ' ' '\n')
echo "    node $(node --version), headers from $NODEDIR; ${NPM_ENV[*]}"
mapfile -t RUNS < <(awk '/^# build-check: run/ { grab = 1; next } grab && /^RUN / { sub(/^RUN /, ""); print; grab = 0 }' "$INSTRUCTIONS")
[[ "${#RUNS[@]}" -gt 0 ]] || die "no RUN step marked '# build-check: run' in the Dockerfile"
for cmd in "${RUNS[@]}"; do
  echo "    RUN ${cmd:0:110}..."
  # /root/.npm in the Dockerfile is the build user's npm cache: keep the developer's cache out of it.
  (cd "$APP" && env "${NPM_ENV[@]}" npm_config_cache="$WORK/npm-cache" bash -euo pipefail -c "${cmd//\/root\/.npm/$WORK/npm-cache}") \
    || die "RUN step failed: $cmd"
done
[[ -x "$APP/node_modules/.bin/kubernetes-mcp-server" ]] || die "kubernetes-mcp-server is not installed in the image"
[[ -d "$APP/node_modules/tsx" ]] || die "tsx (runtime dependency) is not installed"
[[ ! -e "$APP/node_modules/vitest" ]] || die "devDependencies leaked into the image (vitest)"
echo "    node_modules: $(du -sh "$APP/node_modules" | cut -f1)"

# 4. start the CMD read-only, as an unprivileged user
step "start the server (CMD) with a read-only /app"
CMD_JSON="$(grep -E '^CMD ' "$INSTRUCTIONS" | tail -1 | sed 's/^CMD //')"
mapfile -t CMD < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$CMD_JSON")
HEALTH_JSON="$(grep -E '^HEALTHCHECK ' "$INSTRUCTIONS" | sed 's/.* CMD //')"
mapfile -t HEALTHCMD < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$HEALTH_JSON")
mkdir -p "$WORK/data" "$WORK/tmp" "$WORK/home"
chmod -R a+rX,a-w "$APP"
chmod 755 "$WORK"
RUN_AS=()
if [[ "$(id -u)" == "0" ]]; then
  command -v setpriv >/dev/null || die "setpriv (util-linux) is needed to drop root"
  chown 65534:65534 "$WORK/data" "$WORK/tmp" "$WORK/home"
  RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
LOG="$WORK/server.log"
RUNTIME_ENV=(PATH="$PATH" HOME="$WORK/home" TMPDIR="$WORK/tmp" NODE_ENV=production HOST=127.0.0.1 PORT="$PORT"
  SRE_DB_PATH="$WORK/data/incidents.db" MCP_CONFIG_PATH="$APP/mcp_config.yaml"
  KNOWLEDGE_GRAPH_PATH="$APP/knowledge_graph.yaml" KUBECONFIG="$WORK/no-kubeconfig" LOG_FORMAT=json)
(cd "$APP" && exec env -i "${RUNTIME_ENV[@]}" "${RUN_AS[@]}" "${CMD[@]}") >"$LOG" 2>&1 &
SERVER_PID=$!
deadline=$(( $(date +%s) + 30 ))
status=""
while [[ $(date +%s) -lt $deadline ]]; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$LOG" >&2; die "the server exited before /health answered"; fi
  status="$(node -e 'fetch(process.argv[1]).then(async r=>{console.log(r.status+" "+await r.text())},()=>console.log("000"))' "http://127.0.0.1:$PORT/health")"
  [[ "$status" == 200* ]] && break
  sleep 0.5
done
[[ "$status" == 200* ]] || { cat "$LOG" >&2; die "/health did not answer 200 within 30 s (last: ${status:0:200})"; }
echo "    GET /health -> ${status:0:300}"
(cd "$APP" && env -i "${RUNTIME_ENV[@]}" "${HEALTHCMD[@]}") || die "the HEALTHCHECK command failed"
echo "    HEALTHCHECK command: ok"
[[ -f "$WORK/data/incidents.db" ]] || die "the store was not created at SRE_DB_PATH"
[[ -z "$(find "$APP" -newer "$LOG" -type f -print -quit)" ]] || die "the server wrote into /app"

step "stop (SIGTERM)"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 60); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$SERVER_PID" 2>/dev/null; then cat "$LOG" >&2; die "the server did not stop within 30 s of SIGTERM"; fi
wait "$SERVER_PID" || true
SERVER_PID=""
echo "build-check passed in $(( $(date +%s) - START )) s"
