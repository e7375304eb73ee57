# syntax=docker/dockerfile:1
# Consentry's images (docs/deployment.md): one build, one runtime layer set, and a target per process.
#   docker build --target api         -t consentry-api:0.1.0 .
#   docker build --target auth-server -t consentry-auth-server:0.1.0 .
#   docker build --target worker      -t consentry-worker:0.1.0 .
#   docker build --target migrate     -t consentry-migrate:0.1.0 .
# Each target's CMD is the `command` of its Deployment (or of the migration Job) in deploy/kubernetes;
# apps/platform-e2e/e2e/deployment checks that they stay the same. No key enters an image: keys are
# Secrets mounted at run time, and .dockerignore keeps .data/ (the sandbox's keys) out of the context.

FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
COPY . .
RUN npm ci --no-audit --no-fund
RUN npx nx run-many -t build --output-style=static
# Production dependencies only, then what the processes load: package manifests (the workspace links
# in node_modules/@consentry point at them), each project's dist, the risk rules and the scripts.
RUN npm prune --omit=dev --no-audit --no-fund \
 && mkdir /out \
 && cp -a --parents package.json node_modules apps/*/package.json apps/*/dist libs/*/package.json libs/*/dist libs/risk/rules scripts /out/

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ /app/
# Numeric, so Kubernetes' runAsNonRoot can verify it; the pod's securityContext uses the same ids.
USER 10001:10001

FROM runtime AS migrate
CMD ["node", "scripts/db-migrate.js"]

FROM runtime AS worker
EXPOSE 3002
CMD ["node", "--import", "@consentry/telemetry/register", "apps/worker/dist/main.js"]

FROM runtime AS auth-server
EXPOSE 3001
CMD ["node", "--import", "@consentry/telemetry/register", "apps/auth-server/dist/main.js"]

# The last stage is the default target.
FROM runtime AS api
EXPOSE 3000
CMD ["node", "--import", "@consentry/telemetry/register", "apps/api/dist/main.js"]
