# gatebench for containers: one image for the gateway (bench proxy), the fake upstream
# (bench upstream) and the load shards (bench load / bench run --shard); deploy/kubernetes uses it.
#   docker build -t gatebench:0.1.0 .
# Build stage: the commands of the README ("After cloning"): npm ci installs and builds (its
# prepare script runs tsc), so the compiled dist/ is all the runtime stage needs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# everything but what .dockerignore leaves out (node_modules, dist, results, .git)
COPY . .
RUN npm ci

# Runtime stage: production dependencies only. The prepare script (the build) is dropped first:
# it needs TypeScript, a dev dependency, and dist/ comes built from the stage above.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm pkg delete scripts.prepare && npm ci --omit=dev
COPY --from=build /app/dist ./dist
COPY scenarios ./scenarios
RUN ln -s /app/dist/cli/bench.js /usr/local/bin/bench
# not root: the embedded PostgreSQL (when no database is configured) refuses to run as root
USER node
ENTRYPOINT ["bench"]
CMD ["--help"]
