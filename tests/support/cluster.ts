/**
 * The product as a clinic group runs it on more than one server, on one machine: N app processes (the built server,
 * `node dist/server/main.js`) on one PostgreSQL database, behind nginx (round robin on loopback), against the
 * sandbox EHR running in the calling process (the test or the soak) as an ordinary tenant, so killing an app
 * instance leaves the EHR, its chart and its tokens intact. The two-instance tests and `npm run soak` both start it.
 *
 * Every instance gets the same secrets (token encryption key, signing key), as a deployment's secret store would
 * give them, so each opens what another sealed; each has its own data folder, which holds nothing shared.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Patient } from 'fhir/r4';
import { Client } from 'pg';
import type { RunningSandbox } from '../../server/boot';
import { BACKEND_SCOPES, sandboxTenants } from '../../server/config';
import { generateAppJwk } from '../../server/launch/app-keys';
import { projectRoot } from '../../server/project-root';
import { createSandbox } from '../../server/sandbox';
import { nginxMainConfig } from './nginx-config';
import { loadSyntheticBundle, syntheticIndex } from './synthetic-patients';

const CLIENT_ID = 'itdd-consent';
/** Where a test finds PostgreSQL: CI's TEST_DATABASE_URL (its server; each run makes a database of its own), else this machine's. */
const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The response header the test configuration adds, naming the instance (`host:port`) that answered. */
export const UPSTREAM_HEADER = 'x-itdd-upstream';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function postgresServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_SERVER_URL;
}

export function nginxPath(): string | undefined {
  const candidates = [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && fs.existsSync(p));
}

/**
 * Why a cluster cannot start here (no nginx, no PostgreSQL), or undefined when it can. Synchronous (a child
 * process tries the connection) so a test file can decide at load time whether its suite runs.
 */
export function clusterUnavailableReason(): string | undefined {
  if (nginxPath() === undefined) {
    return "nginx is not installed (scripts/ensure-nginx.sh installs Debian's package; or set NGINX_PATH)";
  }
  const probe = spawnSync(process.execPath, ['-e', `
    const { Client } = require('pg');
    const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    c.connect().then(() => c.end()).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });
  `, postgresServerUrl()], { cwd: projectRoot(), encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) {
    const url = new URL(postgresServerUrl());
    return `no PostgreSQL reachable at ${url.host} (${(probe.stderr || probe.error?.message || 'timed out').trim()}); set TEST_DATABASE_URL`;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A database of its own on the PostgreSQL server, dropped (connections and all) by `drop`. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = postgresServerUrl();
  const name = `itdd_cluster_${crypto.randomBytes(6).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** One app process. */
export interface AppInstance {
  /** `a`, `b`, … */
  name: string;
  port: number;
  /** `127.0.0.1:port`, as nginx names it (the upstream header, the access log). */
  address: string;
  pid: number;
  /** Every line it wrote (stdout and stderr): the request log, the app's events, any crash. */
  logLines: string[];
  alive(): boolean;
  /** SIGKILL to the instance and everything it started (its Chromium): a crashed server, nothing runs on exit. */
  kill(): Promise<void>;
}

export interface Cluster {
  /** The load balancer's origin: the app's public URL (APP_BASE_URL of every instance). */
  appUrl: string;
  sandboxUrl: string;
  sandbox: RunningSandbox;
  instances: AppInstance[];
  /** The instance nginx names `host:port`. */
  instanceAt(address: string): AppInstance | undefined;
  /** nginx's access and error log lines so far. */
  proxyLogLines(): string[];
  /** The synthetic patients' names and birth dates, and every token the sandbox issued: none may be in a log. */
  canaries(): string[];
  close(): Promise<void>;
}

export interface ClusterOptions {
  instances?: number;
  /** More environment for every instance (RATE_LIMITS, WRITE_LEASE_MS, LOG_LEVEL …). */
  env?: Record<string, string>;
  /** How late the sandbox EHR answers each auth and FHIR request. */
  sandboxLatencyMs?: number;
  /** How long to wait for every instance and nginx to answer. */
  startTimeoutMs?: number;
}

/** Children started by any cluster of this process: killed on exit if a run ends without closing its cluster. */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) {
    killGroup(child, 'SIGKILL');
  }
});

/** Signals the child's process group (it was started detached, so it leads one): the app and its Chromium alike. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stop(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  killGroup(child, signal);
  let timer: NodeJS.Timeout | undefined;
  const gone = await Promise.race([exited(child).then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
  clearTimeout(timer);
  if (!gone) {
    killGroup(child, 'SIGKILL');
    await exited(child);
  }
  started.delete(child);
}

function collectLines(child: ChildProcess, into: string[]): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      into.push(...lines.filter((l) => l !== ''));
    });
    stream?.on('end', () => {
      if (rest !== '') {
        into.push(rest);
      }
    });
  }
}

/** Polls `url` (each try with its own deadline) until it answers 200; an exited process fails at once. */
async function answering(url: string, child: ChildProcess, logLines: string[], limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url} exited before answering: ${logLines.slice(-5).join(' | ')}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${limitMs} ms: ${logLines.slice(-5).join(' | ')}`);
}

/**
 * The synthetic patients' names (as the chart spells them, and as "given family") and birth dates: PHI stand-ins
 * that no log line may carry.
 */
export function patientCanaries(): string[] {
  const values = syntheticIndex.flatMap((entry) => {
    const patient = (loadSyntheticBundle(entry.file).entry ?? []).map((e) => e.resource).find((r): r is Patient => r?.resourceType === 'Patient');
    if (patient === undefined) {
      return [];
    }
    const names = (patient.name ?? []).flatMap((n) => [
      n.text,
      n.family === undefined ? undefined : `${n.given?.[0] ?? ''} ${n.family}`.trim(),
      n.family === undefined ? undefined : `${(n.given ?? []).join(' ')} ${n.family}`.trim(),
    ]);
    return [...names, patient.birthDate];
  });
  return [...new Set(values.filter((v): v is string => v !== undefined && v.length >= 5))];
}

/** The canaries each of these lines carries (a line may carry several). */
export function canaryHits(lines: readonly string[], canaries: readonly string[]): Array<{ canary: string; line: string }> {
  return lines.flatMap((line) => canaries.filter((c) => line.includes(c)).map((canary) => ({ canary, line: line.slice(0, 300) })));
}

/**
 * Starts the sandbox EHR (here), a fresh PostgreSQL database, the app instances and nginx in front of them.
 * @throws Error when any of them does not come up; what did start is stopped first.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.instances ?? 2;
  const limitMs = options.startTimeoutMs ?? 120_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-cluster-'));
  // nginx's worker runs as an unprivileged user when nginx starts as root: it must reach its temporary folders.
  fs.chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      await step().catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [proxyPort, sandboxPort, ...appPorts] = await Promise.all([freePort(), freePort(), ...Array.from({ length: count }, () => freePort())]);
    const appUrl = `http://localhost:${proxyPort}`;
    const sandboxUrl = `http://localhost:${sandboxPort}`;

    const sandbox = await createSandbox({
      baseUrl: sandboxUrl,
      keyDir: path.join(dir, 'sandbox-keys'),
      latencyMs: options.sandboxLatencyMs ?? 0,
      clients: [{
        clientId: CLIENT_ID,
        redirectUris: [`${appUrl}/callback`],
        launchUrl: `${appUrl}/launch.html`,
        // Fetched through the load balancer, from whichever instance answers: they all publish the one key.
        jwksUrl: `${appUrl}/.well-known/jwks.json`,
        backendScopes: [...BACKEND_SCOPES.split(' ')],
      }],
    });
    const sandboxServer = http.createServer(sandbox.app);
    await new Promise<void>((resolve, reject) => {
      sandboxServer.once('error', reject);
      sandboxServer.listen(sandboxPort, '127.0.0.1', resolve);
    });
    cleanups.push(() => new Promise((resolve) => {
      sandboxServer.close(() => resolve());
      sandboxServer.closeAllConnections();
    }));
    const running: RunningSandbox = {
      sandbox,
      port: sandboxPort,
      sandboxSecrets: () => sandbox.issuedSecrets(),
      sandboxWriteLog: () => sandbox.writeLog(),
      requestCount: () => sandbox.requestCount(),
      requests: () => sandbox.requests(),
      close: () => Promise.resolve(),
    };

    const database = await freshDatabase();
    cleanups.push(() => database.drop());

    const secrets = {
      TOKEN_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
      APP_PRIVATE_JWK: JSON.stringify(generateAppJwk()),
    };
    const tenants = sandboxTenants(sandboxUrl, CLIENT_ID);
    const instances: AppInstance[] = [];
    for (const [i, port] of appPorts.entries()) {
      const name = String.fromCharCode(97 + i);
      const logLines: string[] = [];
      const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'server', 'main.js')], {
        cwd: projectRoot(),
        // Its own process group: a kill reaches the instance's Chromium too, and never this process.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? dir,
          ...(process.env.CHROMIUM_PATH === undefined ? {} : { CHROMIUM_PATH: process.env.CHROMIUM_PATH }),
          HOST: '127.0.0.1',
          PORT: String(port),
          APP_BASE_URL: appUrl,
          // The sandbox EHR is another process's: to the app it is three ordinary tenants on loopback http.
          SANDBOX: 'off',
          ITDD_ENV: 'sandbox',
          EHR_TENANTS: JSON.stringify(tenants),
          DATABASE_URL: database.url,
          DATA_DIR: path.join(dir, `instance-${name}`),
          TRUST_PROXY: 'loopback',
          LOG_LEVEL: 'debug',
          ...secrets,
          ...options.env,
        },
      });
      started.add(child);
      children.push(child);
      collectLines(child, logLines);
      cleanups.push(() => stop(child, 'SIGTERM', 10_000));
      instances.push({
        name,
        port,
        address: `127.0.0.1:${port}`,
        get pid(): number {
          return child.pid ?? 0;
        },
        logLines,
        alive: () => child.exitCode === null && child.signalCode === null,
        kill: () => stop(child, 'SIGKILL', 5000),
      });
    }
    // One at a time is not needed: the migrations are serialised between instances by the store itself.
    await Promise.all(instances.map((instance, i) => answering(`http://127.0.0.1:${instance.port}/readyz`, children[i], instance.logLines, limitMs)));

    const confPath = path.join(dir, 'nginx.conf');
    fs.writeFileSync(confPath, nginxMainConfig(dir, {
      upstreams: instances.map((instance) => instance.address),
      listen: `127.0.0.1:${proxyPort}`,
      serverName: 'localhost',
      accessLog: path.join(dir, 'access.log'),
      extraLocation: [`add_header ${UPSTREAM_HEADER} $upstream_addr always;`],
    }));
    const nginx = spawn(nginxPath() ?? 'nginx', ['-p', dir, '-c', confPath, '-e', path.join(dir, 'error.log')], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.add(nginx);
    const nginxOutput: string[] = [];
    collectLines(nginx, nginxOutput);
    // SIGQUIT: nginx's graceful stop (its workers finish and exit with the master); the group kill is the backstop.
    cleanups.push(() => stop(nginx, 'SIGQUIT', 5000));
    await answering(`${appUrl}/healthz`, nginx, nginxOutput, 20_000);

    const readLog = (file: string): string[] => {
      try {
        return fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter((l) => l !== '');
      } catch {
        return [];
      }
    };
    return {
      appUrl,
      sandboxUrl,
      sandbox: running,
      instances,
      instanceAt: (address) => instances.find((instance) => instance.address === address),
      proxyLogLines: () => [...nginxOutput, ...readLog('access.log'), ...readLog('error.log')],
      canaries: () => [...patientCanaries(), ...sandbox.issuedSecrets()],
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
