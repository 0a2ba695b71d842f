# syntax=docker/dockerfile:1
# Multi-stage: the build stage compiles the TypeScript to dist/ (npm run build:server); the runtime
# image carries production dependencies and the compiled JavaScript only, and runs as non-root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.server.json ./
COPY scripts/copy-server-assets.mjs ./scripts/
COPY server ./server
COPY shared ./shared
RUN npm run build:server

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Healthy while the process answers and its SQL store is up. A Redis outage makes /health answer
# 503 "degraded", but the app still serves reads and reconnects by itself: restarting it would not help.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:3000/health').then(r=>r.json()).then(b=>process.exit(b.status==='down'?1:0),()=>process.exit(1))"
# One process, signals straight to it (SIGTERM -> graceful shutdown), running the compiled
# JavaScript: no TypeScript loader or compiler in the production process. The old-generation cap
# (4x the ~40 MB the app uses) keeps V8 from growing its heap lazily under load: without it the
# process peaks at 310-360 MB on the embedded PGlite, with it 270-290 MB (docs/operations.md).
CMD ["node", "--max-old-space-size=160", "dist/server/main.node.js"]
