import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AppConfig } from './config';
import { loadConfig } from './config';
import { createApp } from './app';
import { LazyPdfRenderer } from './handout/lazy-pdf-renderer';
import { DiscussionStore } from './consent/discussion-store';
import type { AppSigningKey } from './launch/app-keys';
import { appSigningKeyFromJwk, generateAppJwk } from './launch/app-keys';
import { jwksUrlOf, redirectUriOf } from './launch/launch-service';
import type { Logger, LogSink } from './log';
import { createLogger } from './log';
import type { Sandbox } from './sandbox';
import { createSandbox } from './sandbox';
import type { Db } from './store/db';
import { openDb } from './store/db';
import { LaunchSessionStore } from './store/launch-sessions';
import { loadOrCreateJsonKey, loadOrCreateSecret } from './store/local-secrets';
import { createSealedBox, deriveKeyId } from './store/sealed-box';

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
  /** Tokens the embedded sandbox EHR has issued (empty without the sandbox); tests scan for leaks with it. */
  sandboxSecrets(): string[];
  close(): Promise<void>;
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

function signingKeyFor(config: AppConfig): AppSigningKey {
  if (config.appPrivateJwk !== undefined) {
    return appSigningKeyFromJwk(config.appPrivateJwk);
  }
  return appSigningKeyFromJwk(loadOrCreateJsonKey(config.dataDir, 'app-signing-key', generateAppJwk));
}

function encryptionKeyFor(config: AppConfig): Buffer {
  if (config.tokenEncryptionKey !== undefined) {
    return Buffer.from(config.tokenEncryptionKey, 'base64');
  }
  return loadOrCreateSecret(config.dataDir, 'token-encryption-key', 32);
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logSink?: LogSink;
  /** Start the Chromium pool now rather than at the first PDF (the server does; most tests do not print). */
  warmPdf?: boolean;
}

export async function startSystem(options: StartOptions = {}): Promise<RunningSystem> {
  const env = options.env ?? process.env;
  const initial = loadConfig(env);
  const appServer = http.createServer();
  const appPort = await listen(appServer, initial.port, initial.host);
  const sandboxServer = initial.sandbox.enabled ? http.createServer() : undefined;
  const sandboxPort = sandboxServer === undefined ? undefined : await listen(sandboxServer, initial.sandbox.port, initial.host);
  const config = loadConfig({
    ...env,
    PORT: String(appPort),
    ...(sandboxPort === undefined ? {} : { SANDBOX_PORT: String(sandboxPort) }),
  });
  const logger: Logger = createLogger(config.logLevel, options.logSink);
  const db = await openDb({
    ...(config.databaseUrl === undefined ? { dataDir: path.join(config.dataDir, 'pglite') } : { databaseUrl: config.databaseUrl }),
  });
  const key = encryptionKeyFor(config);
  const box = createSealedBox({ current: { id: deriveKeyId(key), key } });
  const store = new LaunchSessionStore(db, box, {
    idleMs: config.launchIdleMs,
    maxMs: config.launchMaxMs,
  });
  const signingKey = signingKeyFor(config);
  // Ended launches (idle, past their lifetime, abandoned sign-ins) leave the store within a few minutes.
  const purge = setInterval(() => {
    store.purgeExpired().catch(() => logger.warn('store.purge_failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const pdf = new LazyPdfRenderer(logger);
  if (options.warmPdf === true) {
    pdf.warm();
  }
  appServer.on('request', createApp({ config, store, discussions: new DiscussionStore(db, box), pdf, signingKey, logger }));
  let sandbox: Sandbox | undefined;
  if (sandboxServer !== undefined) {
    sandbox = await createSandbox({
      baseUrl: config.sandbox.baseUrl,
      keyDir: path.join(config.dataDir, 'secrets'),
      clients: [
        {
          clientId: config.clientId,
          redirectUris: [redirectUriOf(config)],
          launchUrl: `${config.appBaseUrl}/launch.html`,
          jwksUrl: jwksUrlOf(config),
        },
      ],
    });
    sandboxServer.on('request', sandbox.app);
  }
  logger.info('system.started', { app: config.appBaseUrl, sandbox: sandboxServer === undefined ? 'off' : config.sandbox.baseUrl });
  return {
    config,
    appUrl: config.appBaseUrl,
    sandboxUrl: sandboxServer === undefined ? undefined : config.sandbox.baseUrl,
    db,
    sandboxSecrets: () => sandbox?.issuedSecrets() ?? [],
    async close(): Promise<void> {
      clearInterval(purge);
      await pdf.close();
      await Promise.all([closeServer(appServer), sandboxServer === undefined ? Promise.resolve() : closeServer(sandboxServer)]);
      await db.close();
    },
  };
}
