# One image recipe for every app in the monorepo:
#
#   docker build --build-arg APP=notifier -t loomio-workers/notifier .
#   docker run --init -e APP=notifier ... loomio-workers/notifier     (APP is already baked in)
#
# APP is declared only in the last stage. The deps, prod-deps and build stages are
# therefore the same for every app and are built once and cached. Building six images
# (docker compose build) runs `npm install` and `npm run build` one time, not six.
#
# Works with both the classic builder and BuildKit (no --mount features).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------
# deps: every dependency, dev tools included, installed from the lockfile.
# `npm install` rather than `npm ci`: on our registry, `npm ci` fails on the per-platform
# optional dependencies. `npm install` still follows package-lock.json.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund

# ---------------------------------------------------------------------------------------
# build: compile every app with the Nest CLI (tsc builder) into dist/apps/<app>/...
FROM deps AS build
COPY tsconfig*.json nest-cli.json ./
COPY libs ./libs
COPY apps ./apps
COPY scripts ./scripts
RUN npm run build

# ---------------------------------------------------------------------------------------
# prod-deps: the same node_modules with dev dependencies removed. No second download,
# and the versions stay exactly those of the build.
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------
# runtime: slim Node, production dependencies, the compiled code of one app, non-root.
FROM ${NODE_IMAGE} AS runtime
ARG APP
RUN test -n "${APP}" || (echo "build with --build-arg APP=<scheduler|notifier|poller|exporter|janitor|dashboard>" >&2; exit 1)
ENV APP=${APP} \
    NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app

# Files are owned by root and only readable by the app user, so the app cannot change
# its own code. It may write to /tmp.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/apps/${APP} ./dist/apps/${APP}
COPY deploy/docker/entry.js deploy/docker/find-main.js deploy/docker/app-ports.json ./deploy/docker/

# The node image ships an unprivileged `node` user (uid 1000).
USER node

# HTTP_PORT defaults to the app's own port (dashboard 3000, scheduler 3001, ...). entry.js
# sets it when it is not given, and the health check reads the same value.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/docker/entry.js", "--healthcheck"]

# Nest's shutdown hooks drain the JetStream consumers on SIGTERM (SHUTDOWN_GRACE_MS).
STOPSIGNAL SIGTERM

# entry.js finds dist/apps/$APP/**/main.js (normally dist/apps/$APP/apps/$APP/src/main.js)
# and loads it in this process, so signals reach the app directly.
CMD ["node", "/app/deploy/docker/entry.js"]
