import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AppConfig } from './config';
import { BACKEND_SCOPES, loadConfig } from './config';
import { createApp } from './app';
import { AuditTrail } from './audit/audit-trail';
import { badRequest } from './errors';
import type { RouteEntry } from './http/route-list';
import { routesOf } from './http/route-list';
import { LazyPdfRenderer } from './handout/lazy-pdf-renderer';
import { ChartSnapshotStore } from './chart-snapshot/snapshot-store';
import { DiscussionStore } from './consent/discussion-store';
import { appSigningKeyFor } from './launch/app-keys';
import { jwksUrlOf, redirectUriOf } from './launch/launch-service';
import type { Logger, LogSink } from './log';
import { createLogger } from './log';
// Types only: the sandbox (and Medplum under it) is loaded by `import()` when it is on, never by a production boot.
import type { Sandbox, SandboxRequest, WriteLogEntry } from './sandbox';
import type { Db } from './store/db';
import { EhrBreakers } from './http/ehr-breakers';
import { createRateLimits } from './http/rate-limits';
import type { ReadinessCheck } from './http/readiness';
import { startingHandler } from './http/readiness';
import { openDb } from './store/db';
import { LaunchSessionStore } from './store/launch-sessions';
import { sealedBoxFor } from './store/keyring';
import { FilingService } from './writeback/filing';
import { handoutPdfSource } from './writeback/handout-pdf';
import { ContentApprovals } from './content/content-approvals';
import { useContentDir } from './content/content-packs';

/**
 * Starts the app (and the sandbox EHR when enabled) on real sockets. Ports may be 0: the servers listen first and
 * the configuration is read again with the ports they got, so base URLs, redirect URIs and the sandbox's `iss`
 * always match what is actually listening.
 */
const PURGE_INTERVAL_MS = 5 * 60_000;

export interface RunningSystem {
  config: AppConfig;
  appUrl: string;
  sandboxUrl: string | undefined;
  db: Db;
  /** Content approval and the archive (what the compliance screen calls; tests approve through it). */
  content: ContentApprovals;
  /** The sandbox EHR this system runs against, if any (never in production); tests and benchmarks inspect it. */
  sandbox: RunningSandbox | undefined;
  /** The app's routes (tests hold every GET route to being read-only). */
  routes(): RouteEntry[];
  close(options?: CloseOptions): Promise<void>;
}

/** The embedded sandbox EHR on its socket; tests hand it to a second app instance to restart the app alone. */
export interface RunningSandbox {
  sandbox: Sandbox;
  port: number;
  /** Tokens the sandbox EHR has issued; tests scan pages and logs for leaks with it. */
  sandboxSecrets(): string[];
  /** Every DocumentReference write the sandbox EHR received. */
  sandboxWriteLog(): WriteLogEntry[];
  /** How many HTTP requests the sandbox EHR has received (benchmarks count the EHR calls a filing costs). */
  requestCount(): number;
  /** The most recent 10 000 requests: method, path without query, `performance.now()` start and end. */
  requests(): SandboxRequest[];
  close(): Promise<void>;
}

export interface CloseOptions {
  /** Leave the sandbox EHR running (its chart and tokens intact) for another app instance. */
  keepSandbox?: boolean;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logSink?: LogSink;
  /** Start the Chromium pool now rather than at the first PDF (the server does; most tests do not print). */
  warmPdf?: boolean;
  /** Run against this already running sandbox EHR instead of starting one (tests: an app restart). */
  sandbox?: RunningSandbox;
}

/** The sandbox EHR alone, for a command that runs without the app (`npm run gaps` on the sandbox). */
export interface StandaloneSandbox {
  /** The configuration re-read with the port the sandbox got (its tenants' `iss` use it). */
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * Starts the sandbox EHR in this process on its configured port, with the app's client registered for backend
 * services by its public key (the app, which serves the JWKS URL, is not running). Commands use it because the
 * embedded store and the sandbox serve one process: the app must be stopped, and then its sandbox is gone too.
 * The sandbox's chart is the synthetic data as at every start (it keeps nothing between runs), so nothing differs.
 * @throws AppError bad_request when the port is taken (the app is probably running).
 */
export async function startStandaloneSandbox(env: NodeJS.ProcessEnv): Promise<StandaloneSandbox> {
  const initial = loadConfig(env);
  const server = http.createServer();
  let port: number;
  try {
    port = await listen(server, initial.sandbox.port, initial.host);
  } catch (error) {
    throw badRequest(`The sandbox EHR's port ${initial.sandbox.port} is in use: stop the app first.`, {
      hint: 'With the sandbox, this command runs the sandbox EHR and opens the store itself; both serve one process.',
      cause: error,
    });
  }
  const config = loadConfig({ ...env, SANDBOX_PORT: String(port) });
  const { createSandbox } = await import('./sandbox/index.js');
  const sandbox = await createSandbox({
    baseUrl: config.sandbox.baseUrl,
    keyDir: path.join(config.dataDir, 'secrets'),
    clients: [
      {
        clientId: config.clientId,
        redirectUris: [redirectUriOf(config)],
        launchUrl: `${config.appBaseUrl}/launch.html`,
        // The URL the app would serve its JWKS at (the assertion's `jku` names it); the keys themselves inline.
        jwksUrl: jwksUrlOf(config),
        jwks: { keys: [appSigningKeyFor(config).publicJwk] },
        backendScopes: [...BACKEND_SCOPES.split(' ')],
      },
    ],
  });
  server.on('request', sandbox.app);
  return { config, close: () => closeServer(server) };
}

export async function startSystem(options: StartOptions = {}): Promise<RunningSystem> {
  const env = options.env ?? process.env;
  const initial = loadConfig(env);
  // The store opens before the port: the embedded database's first start holds the event loop for seconds, and a
  // port open meanwhile would accept connections it cannot answer. The port then opens (its number goes into the
  // app's URLs); until the app is built every request gets an immediate 503 "starting", so a load balancer's probe
  // or an early clinician is never left waiting on a silent socket.
  const db = await openDb({
    ...(initial.databaseUrl === undefined ? { dataDir: path.join(initial.dataDir, 'pglite') } : { databaseUrl: initial.databaseUrl }),
  });
  const starting = startingHandler();
  const appServer = http.createServer(starting);
  const appPort = await listen(appServer, initial.port, initial.host).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const external = options.sandbox;
  const sandboxServer = external === undefined && initial.sandbox.enabled ? http.createServer(starting) : undefined;
  const sandboxPort = external?.port ?? (sandboxServer === undefined ? undefined : await listen(sandboxServer, initial.sandbox.port, initial.host));
  const config = loadConfig({
    ...env,
    PORT: String(appPort),
    ...(sandboxPort === undefined ? {} : { SANDBOX_PORT: String(sandboxPort) }),
  });
  const logger: Logger = createLogger(config.logLevel, options.logSink);
  const box = sealedBoxFor(config, { createLocalKey: true });
  const store = new LaunchSessionStore(db, box, {
    idleMs: config.launchIdleMs,
    maxMs: config.launchMaxMs,
  });
  const signingKey = appSigningKeyFor(config);
  // Ended launches (idle, past their lifetime, abandoned sign-ins) leave the store within a few minutes.
  const purge = setInterval(() => {
    store.purgeExpired().catch(() => logger.warn('store.purge_failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const pdf = new LazyPdfRenderer(logger, config.pdfPool);
  if (options.warmPdf === true && config.warmPdf) {
    pdf.warm();
  }
  const discussions = new DiscussionStore(db, box);
  const snapshots = new ChartSnapshotStore(db, box);
  const breakers = new EhrBreakers(logger);
  const tokens = { store, signingKey, clientId: config.clientId, jwksUrl: jwksUrlOf(config), logger, ehrFetch: (tenantId: string) => breakers.fetchFor(tenantId) };
  const audit = new AuditTrail(db);
  useContentDir(config.contentDir);
  // Every loaded version is archived and checked against its approval (a file changed since is a draft again).
  const content = new ContentApprovals({ db, audit, logger });
  await content.start();
  const pdfs = handoutPdfSource(pdf, content, config.requireApprovedContent);
  const chart = { snapshots, tokens, audit };
  const filing = new FilingService({ db, box, config, discussions, store, tokens, chart, logger, pdfs, options: { leaseMs: config.writeLeaseMs } });
  const rateLimits = createRateLimits(db, logger, config.rateLimits);
  const readiness: ReadinessCheck[] = [
    {
      name: 'store',
      run: async () => {
        await db.query('SELECT 1');
        return { ok: true, state: 'ok' };
      },
    },
    { name: 'pdf', run: () => Promise.resolve(pdf.state() === 'failed' ? { ok: false, state: 'failed' } : { ok: true, state: pdf.state() }) },
    // An EHR's open breaker is reported, not "not ready": every instance would see the same EHR outage.
    ...config.tenants.map((t) => ({ name: `ehr:${t.id}`, run: () => Promise.resolve({ ok: true, state: breakers.states()[t.id] ?? 'closed' }) })),
  ];
  const app = createApp({ config, store, discussions, snapshots, pdf, signingKey, logger, filing, audit, rateLimits, readiness, tokens, content, complianceStore: { db, box } });
  appServer.off('request', starting);
  appServer.on('request', app);
  let running: RunningSandbox | undefined = external;
  if (sandboxServer !== undefined && sandboxPort !== undefined) {
    // A real ES import (hence the file name): Node loads the compiled sandbox only now.
    const { createSandbox } = await import('./sandbox/index.js');
    const sandbox = await createSandbox({
      baseUrl: config.sandbox.baseUrl,
      keyDir: path.join(config.dataDir, 'secrets'),
      latencyMs: config.sandbox.latencyMs,
      clients: [
        {
          clientId: config.clientId,
          redirectUris: [redirectUriOf(config)],
          launchUrl: `${config.appBaseUrl}/launch.html`,
          jwksUrl: jwksUrlOf(config),
          // The documentation-gap report reads as this same client over SMART Backend Services.
          backendScopes: [...BACKEND_SCOPES.split(' ')],
        },
      ],
    });
    sandboxServer.off('request', starting);
    sandboxServer.on('request', sandbox.app);
    running = {
      sandbox,
      port: sandboxPort,
      sandboxSecrets: () => sandbox.issuedSecrets(),
      sandboxWriteLog: () => sandbox.writeLog(),
      requestCount: () => sandbox.requestCount(),
      requests: () => sandbox.requests(),
      close: () => closeServer(sandboxServer),
    };
  }
  filing.startSweeps();
  logger.info('system.started', { app: config.appBaseUrl, sandbox: running === undefined ? 'off' : config.sandbox.baseUrl });
  return {
    config,
    appUrl: config.appBaseUrl,
    sandboxUrl: running === undefined ? undefined : config.sandbox.baseUrl,
    db,
    content,
    sandbox: running,
    routes: () => routesOf(app),
    async close(closeOptions: CloseOptions = {}): Promise<void> {
      clearInterval(purge);
      const ownSandbox = running !== undefined && running !== external && closeOptions.keepSandbox !== true;
      await Promise.all([closeServer(appServer), ownSandbox ? running?.close() : undefined]);
      // In-flight filings stop without concluding anything and give up their leases: the next start reconciles them.
      await filing.close();
      await pdf.close();
      await db.close();
    },
  };
}
