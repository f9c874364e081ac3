#
# One image recipe for every service in the monorepo:
#
#   docker build --build-arg SERVICE=gateway -t sms/gateway .
#
# SERVICE is one of: gateway, auth, students, organizations.
# The deps and build stages do not depend on SERVICE, so when compose builds
# all four images the builder runs `npm ci` and `tsc -b` once and reuses the
# cached layers.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------
# deps: full (dev) dependency install, keyed only on the manifests + lockfile
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/
COPY services/gateway/package.json services/gateway/
COPY services/auth/package.json services/auth/
COPY services/students/package.json services/students/
COPY services/organizations/package.json services/organizations/
# Every entry of the root package.json `allowScripts` map is `false`: no
# dependency install script is approved. npm 11 enforces that map itself, but
# the npm bundled with node:20 (10.x) ignores it and would run them all, so
# --ignore-scripts applies the same policy on every npm version. Nothing the
# build or the runtime uses needs an install script (tsc is pure JS;
# esbuild/@swc/core ship prebuilt platform packages; ssh2/cpu-features are
# testcontainers-only and optional).
# (No BuildKit-only syntax such as RUN --mount is used, so the legacy builder
# behind docker-compose 1.29 can build this file too.)
RUN npm ci --ignore-scripts && npm cache clean --force

# ---------------------------------------------------------------------------
# build: compile the library and the four services (not the test tooling) into <package>/dist
# ---------------------------------------------------------------------------
FROM deps AS build
COPY . .
RUN npx tsc -b shared services/gateway services/auth services/students services/organizations

# ---------------------------------------------------------------------------
# prune: drop devDependencies, then stage exactly what one service needs
# ---------------------------------------------------------------------------
FROM build AS prune
ARG SERVICE
RUN set -eu; \
    case "${SERVICE:-}" in \
      gateway|auth|students|organizations) ;; \
      *) echo "build arg SERVICE must be one of gateway|auth|students|organizations (got '${SERVICE:-}')" >&2; exit 1 ;; \
    esac; \
    for f in main.js instrumentation.js; do \
      test -f "services/${SERVICE}/dist/$f" || { echo "services/${SERVICE}/dist/$f missing after build" >&2; exit 1; }; \
    done
# Stage /out = root manifests + pruned node_modules + shared + this service.
# The other services' workspace links (node_modules/@sms/<svc>) would dangle
# in the final image, so they are removed.
RUN set -eu; \
    npm prune --omit=dev --ignore-scripts; \
    mkdir -p /out/shared "/out/services/${SERVICE}"; \
    cp package.json package-lock.json /out/; \
    cp -a node_modules /out/; \
    cp -a shared/package.json shared/dist /out/shared/; \
    cp -a "services/${SERVICE}/package.json" "services/${SERVICE}/dist" "/out/services/${SERVICE}/"; \
    for d in shared "services/${SERVICE}"; do \
      if [ -d "$d/node_modules" ]; then cp -a "$d/node_modules" "/out/$d/"; fi; \
    done; \
    for s in gateway auth students organizations; do \
      if [ "$s" != "${SERVICE}" ]; then rm -rf "/out/node_modules/@sms/$s"; fi; \
    done; \
    find /out -name '*.tsbuildinfo' -delete

# ---------------------------------------------------------------------------
# runtime: production deps + compiled JS only, non-root
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
# HOST: the services default to binding 127.0.0.1, unreachable from outside
# the container. PORT is deliberately not set: each service has its own
# default (gateway 8000, auth 8001, students 8002, organizations 8003) and
# compose sets it explicitly.
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    HOST=0.0.0.0
# Files stay root-owned (read-only for the service); the process runs as `node`.
COPY --from=prune /out /app
WORKDIR /app/services/${SERVICE}
USER node
# No curl/wget in the slim image: use node's built-in fetch. The port is
# $PORT when set, else the service's own default (see services/*/src/config.ts).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=process.env.PORT||{gateway:8000,auth:8001,students:8002,organizations:8003}[process.env.SERVICE];fetch('http://127.0.0.1:'+p+'/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--require", "./dist/instrumentation.js", "./dist/main.js"]
