# syntax=docker/dockerfile:1
# Image of the SRE Orchestrator server: Node 22 slim, non-root (uid 10001), production dependencies of the server
# workspace only (tsx included: the server runs its TypeScript sources through it), kubernetes-mcp-server included
# (npm dependency of @sre/sandbox, which the server depends on). Build: docker build -t sre-orchestrator .
# No Docker engine in CI: scripts/image/build-check.sh replays the `# build-check: run` steps below and starts the
# server from the result.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------------------------
# deps: production node_modules (better-sqlite3 compiled here, against this Node)
# ---------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Compile native modules from source with the headers shipped in the Node image: no prebuilt-binary download.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
# Manifests first, so the dependency layer is cached until a package.json or the lockfile changes.
COPY package.json package-lock.json ./
COPY packages/schema/package.json packages/schema/
COPY packages/testkit/package.json packages/testkit/
COPY packages/sandbox/package.json packages/sandbox/
COPY packages/server/package.json packages/server/
COPY packages/cli/package.json packages/cli/
# build-check: run
RUN npm ci --omit=dev --workspace packages/server --include-workspace-root --no-audit --no-fund
# Drop build intermediates of native modules and the npm cache (the compiled .node files stay).
# build-check: run
RUN rm -rf node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target \
      node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
      node_modules/better-sqlite3/build/Release/test_extension.node \
 && node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()" \
 && node_modules/.bin/kubernetes-mcp-server --version \
 && rm -rf /root/.npm

# ---------------------------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="sre-orchestrator" \
      org.opencontainers.image.description="SRE Orchestrator server: investigates production incidents with an LLM agent over read-only MCP tools" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="SRE Orchestrator" \
      org.opencontainers.image.base.name="docker.io/library/node:22-bookworm-slim"

RUN groupadd --system --gid 10001 sre \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/sre --create-home --shell /usr/sbin/nologin sre \
 && mkdir -p /data \
 && chown 10001:10001 /data

WORKDIR /app
COPY --from=deps --chown=0:0 /app/node_modules ./node_modules
COPY --chown=0:0 package.json package-lock.json tsconfig.json ./
COPY --chown=0:0 packages/schema/package.json packages/schema/
COPY --chown=0:0 packages/schema/src packages/schema/src
COPY --chown=0:0 packages/sandbox/package.json packages/sandbox/
COPY --chown=0:0 packages/sandbox/src packages/sandbox/src
COPY --chown=0:0 packages/server/package.json packages/server/
COPY --chown=0:0 packages/server/src packages/server/src
# Defaults for `docker run` (the Helm chart mounts its own at MCP_CONFIG_PATH / KNOWLEDGE_GRAPH_PATH).
COPY --chown=0:0 mcp_config.yaml knowledge_graph.yaml ./

# The application files belong to root and are read-only for the runtime user; only /data and /tmp are written.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SRE_DB_PATH=/data/incidents.db \
    MCP_CONFIG_PATH=/app/mcp_config.yaml \
    KNOWLEDGE_GRAPH_PATH=/app/knowledge_graph.yaml \
    LOG_FORMAT=json
USER 10001:10001
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "packages/server/src/main.ts"]
