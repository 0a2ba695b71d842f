# syntax=docker/dockerfile:1
# Multi-stage: dependencies are installed once with the lockfile, the runtime image carries
# production dependencies only and runs as a non-root user.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY server ./server
COPY shared ./shared
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Healthy while the process answers and its SQL store is up. A Redis outage makes /health answer
# 503 "degraded", but the app still serves reads and reconnects by itself: restarting it would not help.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:3000/health').then(r=>r.json()).then(b=>process.exit(b.status==='down'?1:0),()=>process.exit(1))"
# One process, signals straight to it (SIGTERM -> graceful shutdown): node with tsx's loader
# (a production dependency) runs the TypeScript sources, as `npm start` does.
CMD ["node", "--import", "tsx", "server/main.node.ts"]
