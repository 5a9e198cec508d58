import path from 'node:path';
import express from 'express';
import { FhirRouter } from '@medplum/fhir-router';
import type { MemoryRepository } from '@medplum/fhir-router';
import { loadFhirDefinitions } from '../../fhir-resources/fhir-definitions';
import { notFound } from '../errors';
import { projectRoot } from '../project-root';
import { authorizeRoutes } from './auth/authorize';
import { ClientKeyResolver } from './auth/client-keys';
import { discoveryRoutes } from './auth/discovery';
import { tokenRoutes } from './auth/token';
import { FHIR_SITE_PATHS, siteContext } from './context';
import type { SandboxContext } from './context';
import { loadSandboxData } from './data/loader';
import type { SandboxData } from './data/loader';
import { sandboxErrorHandler } from './errors';
import { documentRoutes } from './faults/document-routes';
import { faultRoutes } from './faults/routes';
import { fhirRoutes } from './fhir/routes';
import { IndexedMemoryRepository } from './fhir/indexed-repository';
import { securityHeaders } from './html';
import { loadOrCreateSigningKey } from './keys';
import { simulatorRoutes } from './simulator/routes';
import { createSandboxState } from './state';
import { createTraffic } from './traffic';
import type { SandboxRequest } from './traffic';
import { SANDBOX_VENDORS } from './types';
import type { SandboxClient, SandboxOptions, SandboxPatient, SandboxVendor } from './types';
import type { WriteLogEntry } from './fhir/write-log';

export type { SandboxClient, SandboxOptions, SandboxPatient, SandboxVendor, WriteFault } from './types';
export { SANDBOX_VENDORS } from './types';
export type { FaultScope } from './faults/fault-queue';
export type { WriteLogEntry } from './fhir/write-log';
export type { SandboxRequest } from './traffic';

export interface Sandbox {
  /** Mount or listen it yourself. */
  app: express.Express;
  /** The generic EHR's FHIR base, `${baseUrl}/r4` (the `iss` of its launches). */
  fhirBaseUrl: string;
  /** Every imitated EHR's FHIR base (`iss`): one chart behind them all, each with its vendor's behaviour. */
  fhirBaseUrls: Readonly<Record<SandboxVendor, string>>;
  /** For tests to inspect what was written. */
  repo: MemoryRepository;
  patients: SandboxPatient[];
  /** The tokens this EHR has issued so far (for leak tests: none may appear in the app's pages or logs). */
  issuedSecrets(): string[];
  /** Every DocumentReference POST and PUT received, oldest first (for "exactly one note, N requests" tests). */
  writeLog(): WriteLogEntry[];
  /** The most recent 10 000 requests, oldest first: method, path (no query) and `performance.now()` times. */
  requests(): SandboxRequest[];
  /** How many requests the sandbox has received (benchmarks count the EHR calls a filing costs). */
  requestCount(): number;
}

/** Types the FHIR server serves even when no synthetic record uses them yet (the app reads or writes them). */
const ALWAYS_SERVED = [
  'Patient', 'Encounter', 'Condition', 'MedicationRequest', 'MedicationStatement', 'Medication',
  'AllergyIntolerance', 'Observation', 'Procedure', 'Device', 'DocumentReference', 'Practitioner',
  'PractitionerRole', 'Organization', 'Location', 'Provenance',
];

function checkOptions(options: SandboxOptions): void {
  const base = new URL(options.baseUrl);
  if (!/^https?:$/.test(base.protocol) || base.origin !== options.baseUrl) {
    throw new Error('Sandbox baseUrl must be an origin such as http://localhost:4001 (no path, no trailing slash)');
  }
  if (options.latencyMs !== undefined && (!Number.isInteger(options.latencyMs) || options.latencyMs < 0)) {
    throw new Error('Sandbox latencyMs must be a whole number of milliseconds, 0 or more');
  }
  if (options.clients.length === 0) {
    throw new Error('Sandbox needs at least one registered client');
  }
  const ids = new Set(options.clients.map((c) => c.clientId));
  if (ids.size !== options.clients.length) {
    throw new Error('Sandbox client ids must be unique');
  }
  for (const client of options.clients) {
    [client.launchUrl, ...client.redirectUris].forEach((u) => new URL(u));
  }
}

/** Origins the sandbox pages may frame and send forms to: every registered app's. */
function appOrigins(clients: SandboxClient[]): string[] {
  return clients.flatMap((c) => [c.launchUrl, ...c.redirectUris]).map((u) => new URL(u).origin);
}

function buildContext(options: SandboxOptions, repo: MemoryRepository, data: SandboxData): SandboxContext {
  const clock = options.clock ?? Date.now;
  const fhirBaseUrls = Object.fromEntries(SANDBOX_VENDORS.map((v) => [v, `${options.baseUrl}${FHIR_SITE_PATHS[v]}`]));
  return {
    baseUrl: options.baseUrl,
    fhirBaseUrls: fhirBaseUrls as Record<SandboxVendor, string>,
    authorizeUrl: `${options.baseUrl}/auth/authorize`,
    tokenUrl: `${options.baseUrl}/auth/token`,
    jwksUrl: `${options.baseUrl}/auth/jwks`,
    styleUrl: `${options.baseUrl}/smart-style.json`,
    clients: new Map(options.clients.map((c) => [c.clientId, c])),
    appClient: options.clients.find((c) => c.public !== true) ?? (options.clients[0]),
    repo,
    router: new FhirRouter(),
    data,
    servedTypes: new Set([...ALWAYS_SERVED, ...data.resourceTypes]),
    state: createSandboxState(clock),
    signingKey: loadOrCreateSigningKey(options.keyDir),
    clientKeys: new ClientKeyResolver(clock),
    clock,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3600,
  };
}

/**
 * Builds the embedded sandbox EHR: a strict SMART App Launch 2.2 authorization server, a FHIR R4 server on
 * Medplum's in-memory repository loaded with the synthetic patients, and an EHR simulator page. It lives on its
 * own origin so the app's launch, token and FHIR security are exercised exactly as against a real EHR.
 */
export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  checkOptions(options);
  loadFhirDefinitions();
  const repo = new IndexedMemoryRepository();
  const data = await loadSandboxData(repo, options.dataDir ?? path.join(projectRoot(), 'fhir-resources'));
  const ctx = buildContext(options, repo, data);
  const traffic = createTraffic(options.latencyMs ?? 0);
  const app = express();
  app.disable('x-powered-by');
  app.use(traffic.middleware);
  app.use(securityHeaders(appOrigins(options.clients)));
  app.use(discoveryRoutes(ctx));
  app.use(authorizeRoutes(ctx));
  app.use(tokenRoutes(ctx));
  for (const vendor of SANDBOX_VENDORS) {
    app.use(FHIR_SITE_PATHS[vendor], fhirRoutes(siteContext(ctx, vendor)));
  }
  app.use(simulatorRoutes(ctx));
  app.use(faultRoutes(ctx));
  app.use(documentRoutes(ctx));
  app.use(() => {
    throw notFound('There is no such page in the sandbox EHR.');
  });
  app.use(sandboxErrorHandler);
  return {
    app,
    fhirBaseUrl: ctx.fhirBaseUrls.generic,
    fhirBaseUrls: ctx.fhirBaseUrls,
    repo,
    patients: data.patients,
    issuedSecrets: () => [...ctx.state.issuedSecrets],
    writeLog: () => ctx.state.writeLog.map((entry) => ({ ...entry })),
    requests: traffic.requests,
    requestCount: traffic.count,
  };
}
