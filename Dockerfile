# syntax=docker/dockerfile:1.7
# ITDD Consent — production image. Node 24 LTS, Debian's chromium for PDF rendering, non-root, health-checked.

# 1. Build: full dependencies, compile TypeScript and bundle the browser code.
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV PUPPETEER_SKIP_DOWNLOAD=true
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY server ./server
COPY client ./client
COPY fhir-resources ./fhir-resources
RUN npm run build

# 2. Production dependencies only (no compilers, test tools or type packages).
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
ENV PUPPETEER_SKIP_DOWNLOAD=true
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: Debian's chromium and fonts that shape Arabic, Hebrew and CJK names; tini reaps chromium children.
FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-noto-core fonts-noto-cjk fonts-dejavu-core tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    ITDD_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    CHROMIUM_PATH=/usr/bin/chromium \
    DATA_DIR=/var/lib/itdd
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root client/public ./client/public
COPY --chown=root:root content ./content
COPY --chown=root:root fhir-resources ./fhir-resources
# The code is read-only for the service user; only its data folder is writable.
RUN mkdir -p /var/lib/itdd && chown node:node /var/lib/itdd
USER node
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/server/main.js"]
