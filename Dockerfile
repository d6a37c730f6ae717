# syntax=docker/dockerfile:1
# Chat backend image. Build: docker build -t chat-backend .
# Runtime config comes from the environment (see .env.example); nothing secret is baked in.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full deps, compile TypeScript -> dist/, the web client -> dist/web
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until they change.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig*.json ./
COPY src ./src
# The web client, built by the same script into dist/web and served at /.
COPY web ./web
RUN npm run build
# CMD below runs dist/main.js; fail the build, not the container start, if the layout changes.
RUN test -f dist/main.js || { echo "build did not produce dist/main.js (check tsconfig.build.json rootDir/outDir)" >&2; exit 1; }

# ---- runtime: production deps + compiled JS only ---------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
# Owned by root and read-only for the app user: the process cannot rewrite its own code.
COPY --from=build /app/dist ./dist
# tini as PID 1 wherever the image runs (docker run, Kubernetes), not only under
# compose's `init: true`: the kernel ignores a signal PID 1 has no handler for,
# and Nest re-raises SIGTERM on itself once shut down.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
# Without DATABASE_URL the embedded database and the local secret live in DATA_DIR
# (./data): the one directory the app user may write (mount a volume there to keep them).
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 3000
# The app drains on SIGTERM (SHUTDOWN_TIMEOUT_MS); give it a stop timeout above that (compose: stop_grace_period).
STOPSIGNAL SIGTERM
# Liveness only: readiness (/health/ready) depends on Postgres/Redis and is for the orchestrator/LB.
# node instead of curl: the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# `npm run start:prod`, run directly: node as the process that gets SIGTERM (npm would stand in between).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
