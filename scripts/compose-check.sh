#!/usr/bin/env bash
# Validate docker-compose.yml and the Dockerfile wiring without a Docker engine.
#
#   bash scripts/compose-check.sh        (npm run compose:check)
#
# 1. The Dockerfile exists and declares `ARG SERVICE`.
# 2. docker-compose.yml parses and validates with docker-compose 1.29
#    (`docker-compose config -q`; installed from Debian's apt repository when
#    missing and we are root), and with the `docker compose` plugin too when
#    that is installed. Neither needs a running daemon for `config`.
# 3. Every compose service with a `build:` uses ./Dockerfile, passes
#    `args: SERVICE: <its own name>`, and that name is a workspace under
#    services/; every workspace under services/ has a compose service.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

COMPOSE_FILE="docker-compose.yml"
DOCKERFILE="Dockerfile"

fail() { echo "compose-check: FAIL: $*" >&2; exit 1; }
info() { echo "compose-check: $*"; }

# --- 1. Dockerfile -----------------------------------------------------------
[[ -f "$COMPOSE_FILE" ]] || fail "$COMPOSE_FILE not found in $ROOT_DIR"
[[ -f "$DOCKERFILE" ]] || fail "$DOCKERFILE not found in $ROOT_DIR"
grep -Eq '^[[:space:]]*ARG[[:space:]]+SERVICE([[:space:]=]|$)' "$DOCKERFILE" \
  || fail "$DOCKERFILE does not declare 'ARG SERVICE'"
info "$DOCKERFILE present and declares ARG SERVICE"

# --- 2. docker-compose 1.29 (install if missing) ----------------------------
if ! command -v docker-compose >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "docker-compose is not installed and apt-get is unavailable; install docker-compose (1.29+) or the docker compose plugin and re-run"
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    fail "docker-compose is not installed; run as root (or: sudo apt-get install -y docker-compose) and re-run"
  fi
  info "docker-compose missing; installing Debian package docker-compose via apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq docker-compose; } >/tmp/compose-check-apt.log 2>&1; then
    tail -n 20 /tmp/compose-check-apt.log >&2 || true
    fail "apt-get install docker-compose failed (log: /tmp/compose-check-apt.log)"
  fi
  command -v docker-compose >/dev/null 2>&1 || fail "docker-compose still not on PATH after apt-get install"
fi

info "$(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /' || echo 'docker-compose (version unknown)')"
if ! out="$(docker-compose -f "$COMPOSE_FILE" config -q 2>&1)"; then
  echo "$out" >&2
  fail "docker-compose config -q rejected $COMPOSE_FILE"
fi
if [[ -n "$out" ]]; then echo "$out"; fi
info "docker-compose config -q: OK"

if docker compose version >/dev/null 2>&1; then
  if ! out="$(docker compose -f "$COMPOSE_FILE" config -q 2>&1)"; then
    echo "$out" >&2
    fail "docker compose (plugin) config -q rejected $COMPOSE_FILE"
  fi
  if [[ -n "$out" ]]; then echo "$out"; fi
  info "docker compose plugin config -q: OK"
else
  info "docker compose plugin not installed; skipped (file is kept v1.29/compose-spec compatible)"
fi

# --- 3. build args vs. workspaces --------------------------------------------
# Work on the normalized model docker-compose renders (anchors/merges resolved).
# python3-yaml is a dependency of the docker-compose package.
command -v python3 >/dev/null 2>&1 || fail "python3 is required for the build-arg check"
rendered="$(docker-compose -f "$COMPOSE_FILE" config 2>/dev/null)" \
  || fail "docker-compose config could not render $COMPOSE_FILE"

COMPOSE_RENDERED="$rendered" ROOT_DIR="$ROOT_DIR" python3 - <<'PY'
import os, sys
try:
    import yaml
except ImportError:
    sys.exit("compose-check: FAIL: python3 yaml module missing (apt-get install -y python3-yaml)")

root = os.environ["ROOT_DIR"]
model = yaml.safe_load(os.environ["COMPOSE_RENDERED"]) or {}
services = model.get("services") or {}
errors = []
built = []

for name, svc in sorted(services.items()):
    build = svc.get("build")
    if build is None:
        continue
    if isinstance(build, str):
        build = {"context": build}
    built.append(name)
    context = os.path.realpath(build.get("context", "."))
    dockerfile = build.get("dockerfile", "Dockerfile")
    if context != os.path.realpath(root):
        errors.append(f"{name}: build.context is {context}, expected the repo root {root}")
    if os.path.normpath(dockerfile) != "Dockerfile":
        errors.append(f"{name}: build.dockerfile is {dockerfile!r}, expected 'Dockerfile'")
    args = build.get("args") or {}
    if isinstance(args, list):  # ["SERVICE=auth"] form
        args = dict(a.split("=", 1) if "=" in a else (a, None) for a in args)
    arg = args.get("SERVICE")
    if arg is None:
        errors.append(f"{name}: build.args.SERVICE is missing")
    elif arg != name:
        errors.append(f"{name}: build.args.SERVICE is {arg!r}, expected {name!r}")
    if not os.path.isfile(os.path.join(root, "services", str(arg or name), "package.json")):
        errors.append(f"{name}: services/{arg or name}/package.json does not exist")

svc_root = os.path.join(root, "services")
workspaces = sorted(d for d in os.listdir(svc_root)
                    if os.path.isfile(os.path.join(svc_root, d, "package.json"))) if os.path.isdir(svc_root) else []
for ws in workspaces:
    if ws not in built:
        errors.append(f"workspace services/{ws} has no compose service built from the Dockerfile")

if errors:
    for e in errors:
        print(f"compose-check: FAIL: {e}", file=sys.stderr)
    sys.exit(1)
print(f"compose-check: build args OK for {', '.join(built)}")
PY

info "all checks passed"
