# One image for every scc-sim service (proxy, connector, backend, or all of them with `up`).
# The command picks the service: see docker-compose.yml. Build it with `docker compose up --build`
# (or `docker build -t scc-sim:local .`).
# BASE_IMAGE: any Debian-based image with node 22 and npm and a user `node` (the default is the
# official one). CI builds this image without a registry: .ci/Dockerfile is the runtime stage
# below with node_modules and dist/ made on the host (README, "How CI tests the image");
# test/dockerfile-offline.test.ts checks that both put the same files in the same places.
ARG BASE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, TypeScript → dist/ -------------------------------------------
FROM ${BASE_IMAGE} AS build
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
FROM ${BASE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The connector's admin pages (HTML/CSS/JS; tsc does not copy them): found at run time next to dist/.
COPY services/connector/admin/pages ./services/connector/admin/pages
# Static files of the pages (tsc copies none): dist/ serves them from the source path.
COPY services/cockpit/public ./services/cockpit/public
# Writable by the service user: the admin API persists config changes back (temp file + rename).
COPY --chown=node:node config ./config
# Writable by the service user: the simulator CA is created once in .scc-sim/ca and reused.
RUN mkdir -p .scc-sim && chown node:node .scc-sim
USER node
# 20003 HTTP proxy, 20004 SOCKS5 proxy, 8080 token service + status page, 8443 the same over
# HTTPS, 8042 tunnel endpoint, 8444 the connector's admin REST API.
EXPOSE 20003 20004 8080 8443 8042 8444
# The young generation capped at 16 MB and WebAssembly (undici's parser) left unoptimized
# (src/service-flags.ts): less memory under load, same speed.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--liftoff-only", "dist/src/cli.js"]
CMD ["up", "--config", "config/scc-sim.yaml"]
