# One image for every scc-sim service (proxy, connector, backend, or all of them with `up`).
# The command picks the service: see docker-compose.yml.

# ---- build: all dependencies, TypeScript → dist/ -------------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the tsc build) needs the sources, which are copied next.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY services ./services
COPY test ./test
COPY bench ./bench
RUN npm run build

# ---- runtime: production dependencies + dist/ + config/, as a non-root user ----------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Writable by the service user: the admin API persists config changes back (temp file + rename).
COPY --chown=node:node config ./config
# Writable by the service user: the simulator CA is created once in .scc-sim/ca and reused.
RUN mkdir -p .scc-sim && chown node:node .scc-sim
USER node
# 20003 HTTP proxy, 20004 SOCKS5 proxy, 8080 token service + status page, 8443 the same over
# HTTPS, 8042 tunnel endpoint, 8444 the connector's admin REST API.
EXPOSE 20003 20004 8080 8443 8042 8444
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["up", "--config", "config/scc-sim.yaml"]
