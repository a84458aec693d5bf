# syntax=docker/dockerfile:1
# patchthrough: three stages on node:20-bookworm-slim.
#   build  — every dependency, `npm run build` compiles to dist/
#   deps   — production dependencies only
#   final  — dist/ + production node_modules, non-root, `node dist/src/main.js`
# Build: docker build -t patchthrough .      Run: see docker-compose.yml and docs/operations.md

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
COPY sim ./sim
COPY demo ./demo
COPY examples ./examples
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS final
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# `patchthrough status` (bin/patchthrough.js runs dist/src/cli/main.js when src/ is absent).
COPY --chown=node:node bin ./bin
COPY --chown=node:node examples ./examples
RUN ln -s /app/bin/patchthrough.js /usr/local/bin/patchthrough
# The image's own unprivileged user (uid 1000).
USER node
EXPOSE 8080
# Liveness only; load balancers route on /readyz (false while draining or when Redis is down).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (readiness false, calls finish or are handed back to the carrier, then exit);
# give the container more than DRAIN_TIMEOUT_MS to stop (compose: stop_grace_period).
STOPSIGNAL SIGTERM
# The worker's Node flags: src/config/node-flags.ts says why.
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js"]
