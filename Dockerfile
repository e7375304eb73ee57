# Consentry's image: one image, three apps (the Deployment's command picks one). docs/deployment.md.
#   docker build -t registry.example/consentry:0.1.0 .
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json nx.json tsconfig.base.json eslint.config.js ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund \
 && npx nx run-many -t build --output-style=static \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production CONSENTRY_MODE=production CONSENTRY_DATA_DIR=/var/lib/consentry
WORKDIR /app
# Owned by root, run by 10001: the app cannot change its own code. No key is copied in: keys are mounted.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/apps ./apps
COPY --from=build /app/libs ./libs
COPY --from=build /app/scripts ./scripts
RUN mkdir -p /var/lib/consentry && chown 10001:10001 /var/lib/consentry
USER 10001:10001
EXPOSE 3000 3001 3002
CMD ["node", "--import", "@consentry/telemetry/register", "apps/api/dist/main.js"]
