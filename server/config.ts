import path from 'node:path';
import { z } from 'zod';
import type { RateLimitBudgets } from './http/rate-limits';
import { DEFAULT_BUDGETS } from './http/rate-limits';
import type { JsonWebKey as Jwk } from 'node:crypto';
import { projectRoot } from './project-root';

/**
 * One validated configuration object, read once from the environment. The app refuses to start on a bad or
 * missing value rather than running half-configured: in production every secret must come from configuration.
 */

const vendorSchema = z.enum(['epic', 'oracle', 'generic']);
export type Vendor = z.infer<typeof vendorSchema>;

/** Clinical roles the app recognises in a user's coded qualifications (server/consent/signer-role.ts). */
export const CLINICAL_ROLES = ['physician', 'nurse-practitioner', 'physician-assistant', 'nurse'] as const;
export type ClinicalRole = (typeof CLINICAL_ROLES)[number];

/** Who may attest a discussion and file its note, per EHR tenant. */
export interface AttestationPolicy {
  /** Roles that may attest and file (from the user's coded qualifications). */
  roles: readonly ClinicalRole[];
  /** `fhirUser` references that may attest whatever their record says: for EHRs that expose no coded qualification. */
  users: readonly string[];
}

export const DEFAULT_ATTESTATION_POLICY: AttestationPolicy = { roles: ['physician', 'nurse-practitioner', 'physician-assistant'], users: [] };

const attestationSchema = z.strictObject({
  roles: z.array(z.enum(CLINICAL_ROLES)).min(1).max(CLINICAL_ROLES.length).default([...DEFAULT_ATTESTATION_POLICY.roles]),
  users: z.array(z.string().min(1).max(500)).max(1000).default([]),
});

/**
 * SMART Backend Services for one EHR (the documentation-gap report): the client id the EHR registered for the app's
 * backend access (often a separate registration from the launch client) and the `system/` scopes asked for. The token
 * URL is not configured: it comes from the tenant's SMART discovery, pinned to its auth origins like the launch's.
 */
const backendSchema = z.strictObject({
  clientId: z.string().min(1).max(200).optional(),
  scopes: z.string().regex(/^system\/[A-Za-z*]+\.[a-z*]+( system\/[A-Za-z*]+\.[a-z*]+)*$/).max(1000).optional(),
});

/** What the gap report reads: procedures done, procedures ordered or scheduled, and the notes filed before them. */
export const BACKEND_SCOPES = 'system/Procedure.rs system/ServiceRequest.rs system/DocumentReference.rs';

export interface BackendServicesConfig {
  clientId: string;
  scopes: string;
}

/**
 * Who may open the compliance dashboard, per EHR tenant: a list of `fhirUser` references (absolute, as the EHR's
 * id_token gives them, or relative to the tenant's `iss`: `Practitioner/123`). No EHR codes a "compliance analyst"
 * qualification the app could trust, so the list is the only way in; empty (the default) means nobody.
 */
export interface CompliancePolicy {
  users: readonly string[];
}

const complianceSchema = z.strictObject({
  users: z.array(z.string().min(1).max(500).regex(/^\S+$/)).max(1000).default([]),
});

/** Whether this signed-in user (their `fhirUser`) is on the tenant's compliance list. */
export function mayReadCompliance(tenant: Pick<TenantConfig, 'iss' | 'compliance'>, fhirUser: string | undefined): boolean {
  if (fhirUser === undefined || fhirUser === '') {
    return false;
  }
  const base = tenant.iss.replace(/\/+$/, '');
  const relative = fhirUser.startsWith(`${base}/`) ? fhirUser.slice(base.length + 1) : undefined;
  const users = tenant.compliance?.users ?? [];
  return users.includes(fhirUser) || (relative !== undefined && users.includes(relative));
}

/** An EHR the app may be launched from. Only these `iss` values are ever contacted (SSRF / mix-up defence). */
const tenantSchema = z.object({
  /** Short stable id used in logs and records, e.g. `sandbox-epic`, `epic-prod`. */
  id: z.string().regex(/^[a-z0-9-]{1,40}$/),
  /** Name shown to people. */
  name: z.string().min(1).max(100),
  /** The FHIR base URL exactly as the EHR sends it as `iss` (normalised before comparison). */
  iss: z.url(),
  vendor: vendorSchema,
  /** The client_id this EHR issued to the app. */
  clientId: z.string().min(1).max(200),
  /**
   * Origins the EHR's authorization and token endpoints may live on. Discovery results outside these origins are
   * refused (RFC 9700 §4.4 mix-up defence). Defaults to the origin of `iss`.
   */
  authOrigins: z.array(z.url()).optional(),
  /** Origins allowed to frame the app (CSP frame-ancestors), e.g. the EHR's web client. */
  frameOrigins: z.array(z.url()).default([]),
  /** Largest note attachment (bytes) this EHR accepts; a bigger one is refused before sending. Default 5 MiB. */
  maxAttachmentBytes: z.number().int().min(1024).max(5 * 1024 * 1024).optional(),
  /** Who may attest and file (default: physician, nurse practitioner, physician assistant). */
  attestation: attestationSchema.default({ roles: [...DEFAULT_ATTESTATION_POLICY.roles], users: [] }),
  /** SMART Backend Services for the documentation-gap report (absent: no gap report for this EHR). */
  backend: backendSchema.optional(),
  /** Who may open the compliance dashboard (default: nobody). */
  compliance: complianceSchema.default({ users: [] }),
});
export type TenantConfig = Omit<z.infer<typeof tenantSchema>, 'attestation' | 'backend' | 'compliance'> & {
  authOrigins: string[];
  attestation?: AttestationPolicy;
  backend?: BackendServicesConfig;
  compliance?: CompliancePolicy;
};

const envSchema = z.object({
  /** Unset: production as soon as a real EHR is configured; `sandbox` must be chosen explicitly to relax the rules. */
  ITDD_ENV: z.enum(['sandbox', 'production']).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  APP_BASE_URL: z.url().optional(),
  SANDBOX: z.enum(['on', 'off']).optional(),
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  SANDBOX_BASE_URL: z.url().optional(),
  SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  SMART_CLIENT_ID: z.string().min(1).default('itdd-consent'),
  EHR_TENANTS: z.string().optional(),
  APP_PRIVATE_JWK: z.string().optional(),
  TOKEN_ENCRYPTION_KEY: z.string().optional(),
  /** Keys retired from sealing that still open older values: comma-separated, each 32 bytes base64. */
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().optional(),
  LAUNCH_IDLE_MINUTES: z.coerce.number().int().min(1).max(720).default(30),
  LAUNCH_MAX_HOURS: z.coerce.number().int().min(1).max(24).default(8),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  WRITE_MAX_ATTACHMENT_BYTES: z.coerce.number().int().min(1024).max(5 * 1024 * 1024).optional(),
  WRITE_LEASE_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  PDF_WARM: z.enum(['on', 'off']).default('on'),
  /** The Chromium pool: browsers kept warm, and renders each runs at once (docs/performance.md weighs the shapes). */
  PDF_BROWSERS: z.coerce.number().int().min(1).max(8).default(1),
  PDF_PAGES_PER_BROWSER: z.coerce.number().int().min(1).max(8).default(2),
  /** JSON, any subset of the budgets in server/http/rate-limits.ts, e.g. `{"launchPerAddress":{"points":600,"seconds":60}}`. */
  RATE_LIMITS: z.string().optional(),
  /** Express `trust proxy`: the load balancer's hop count or addresses (`loopback`, `10.0.0.0/8`), so the client address is the real one. */
  TRUST_PROXY: z.string().optional(),
  CONTENT_DIR: z.string().optional(),
  CONTENT_APPROVAL: z.enum(['required', 'optional']).optional(),
  /** Node's own switch: "0" turns off certificate checks for every TLS connection in the process. */
  NODE_TLS_REJECT_UNAUTHORIZED: z.string().optional(),
});

export interface AppConfig {
  env: 'sandbox' | 'production';
  host: string;
  port: number;
  /** Public origin of the app, no trailing slash (e.g. `https://itdd.example.org`). */
  appBaseUrl: string;
  /** `latencyMs`: how late the sandbox answers its auth and FHIR requests (dev and benchmarks; default 0). */
  sandbox: { enabled: boolean; port: number; baseUrl: string; latencyMs: number };
  tenants: TenantConfig[];
  /** Scopes requested at authorization: SMART v2 spellings, minimum necessary. */
  scopes: string;
  clientId: string;
  /** Private signing JWK (RS384/ES384) for private_key_jwt; sandbox generates one in `dataDir` when absent. */
  appPrivateJwk: Jwk | undefined;
  /** 32-byte key (base64) that seals tokens at rest; sandbox generates one in `dataDir` when absent. */
  tokenEncryptionKey: string | undefined;
  /** Older keys (base64, 32 bytes each) that still open what they sealed until it is re-sealed (`npm run keys -- reseal`). */
  tokenEncryptionPreviousKeys: string[];
  databaseUrl: string | undefined;
  dataDir: string;
  launchIdleMs: number;
  launchMaxMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Default attachment size limit for tenants that set none (bytes); undefined = 5 MiB. */
  writeMaxAttachmentBytes: number | undefined;
  /** How long a filing holds its write intent before another instance may take it over (a crashed app's lease). */
  writeLeaseMs: number;
  /** Start the Chromium pool at boot (production latency) rather than at the first PDF. */
  warmPdf: boolean;
  pdfPool: { size: number; pagesPerBrowser: number };
  /** Request budgets per client address and per launch (server/http/rate-limits.ts). */
  rateLimits: RateLimitBudgets;
  /** Express `trust proxy` (false: the socket's address is the client's). */
  trustProxy: boolean | number | string;
  /** Where the content packs are read from (`CONTENT_DIR`); undefined: the `content/` folder shipped with the app. */
  contentDir: string | undefined;
  /**
   * Only content a named reviewer approved is handed out and printed (`CONTENT_APPROVAL=required`): always in
   * production; a sandbox or staging site may turn it on to rehearse. Otherwise drafts print marked DRAFT.
   */
  requireApprovedContent: boolean;
}

/**
 * Scopes of the compliance dashboard's standalone launch: who is signed in, and reading back any filed note for the
 * integrity check (user-level: the dashboard has no patient in context).
 */
export const COMPLIANCE_SCOPES = ['openid', 'fhirUser', 'online_access', 'user/DocumentReference.r'].join(' ');

/** Scopes asked of every EHR (SMART App Launch 2.2 v2 syntax). EHRs may grant fewer; the app checks what came back. */
export const DEFAULT_SCOPES = [
  'launch',
  'openid',
  'fhirUser',
  'online_access',
  'patient/Patient.r',
  'patient/Encounter.r',
  'patient/Condition.rs',
  'patient/MedicationRequest.rs',
  'patient/MedicationStatement.rs',
  'patient/Medication.r',
  'patient/AllergyIntolerance.rs',
  'patient/Observation.rs',
  'patient/Procedure.rs',
  'patient/Device.rs',
  // c: file the note; r: read it back; u: mark it entered-in-error; s: search the chart before any re-send.
  'patient/DocumentReference.crus',
  'user/Practitioner.r',
].join(' ');

function parseTenants(raw: string | undefined): TenantConfig[] {
  if (raw === undefined || raw.trim() === '') {
    return [];
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('EHR_TENANTS is not valid JSON (expected an array of tenants)');
  }
  const tenants = z.array(tenantSchema).parse(json);
  return tenants.map(({ backend, ...t }) => ({
    ...t,
    authOrigins: t.authOrigins ?? [new URL(t.iss).origin],
    ...(backend === undefined ? {} : { backend: { clientId: backend.clientId ?? t.clientId, scopes: backend.scopes ?? BACKEND_SCOPES } }),
  }));
}

const budgetSchema = z.strictObject({ points: z.number().int().min(1).max(1_000_000), seconds: z.number().int().min(1).max(86_400) });

function parseRateLimits(raw: string | undefined): RateLimitBudgets {
  if (raw === undefined || raw.trim() === '') {
    return DEFAULT_BUDGETS;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('RATE_LIMITS is not valid JSON');
  }
  const overrides = z.strictObject(Object.fromEntries(Object.keys(DEFAULT_BUDGETS).map((k) => [k, budgetSchema.optional()]))).parse(json);
  return { ...DEFAULT_BUDGETS, ...(overrides as Partial<RateLimitBudgets>) };
}

function parseTrustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw.trim() === '' || raw === 'false') {
    return false;
  }
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

function parseJwk(raw: string | undefined): Jwk | undefined {
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(raw) as Jwk;
  } catch {
    throw new Error('APP_PRIVATE_JWK is not valid JSON');
  }
}

/**
 * Where the embedded sandbox EHR serves each vendor's FHIR base (`server/sandbox/context.ts` FHIR_SITE_PATHS; the
 * sandbox cannot import the app's config, and the app must not load the sandbox to learn them).
 */
const SANDBOX_SITES: readonly { vendor: Vendor; path: string; name: string }[] = [
  { vendor: 'generic', path: '/r4', name: 'Sandbox EHR, generic SMART (synthetic patients)' },
  { vendor: 'epic', path: '/epic/r4', name: 'Sandbox EHR imitating Epic (synthetic patients)' },
  { vendor: 'oracle', path: '/oracle/r4', name: 'Sandbox EHR imitating Oracle Health (synthetic patients)' },
];

/**
 * The sandbox EHR as three ordinary tenants, one per vendor it imitates: each has its own `iss`, and its write
 * profile comes from its `vendor` exactly as for a real site. All are framed by the sandbox's simulator page.
 */
export function sandboxTenants(sandboxBaseUrl: string, clientId: string): TenantConfig[] {
  return SANDBOX_SITES.map((site) => ({
    id: `sandbox-${site.vendor}`,
    name: site.name,
    iss: `${sandboxBaseUrl}${site.path}`,
    vendor: site.vendor,
    clientId,
    authOrigins: [sandboxBaseUrl],
    frameOrigins: [sandboxBaseUrl],
    // The sandbox registers the app's own client (with the app's JWKS URL) for backend services too.
    backend: { clientId, scopes: BACKEND_SCOPES },
    // The sandbox's compliance analyst (fhir-resources/sandbox/practitioners.json).
    compliance: { users: ['Practitioner/itdd-compliance-brooks'] },
  }));
}

/** Standard base64 of exactly 32 bytes: 43 characters and one `=`. */
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export interface SealingKeysConfig {
  /** Undefined: the sandbox's generated local key (production refuses to start without one). */
  current: string | undefined;
  previous: string[];
}

/**
 * The data-at-rest keyring from `TOKEN_ENCRYPTION_KEY` (seals) and `TOKEN_ENCRYPTION_PREVIOUS_KEYS` (still open).
 * Every key is checked here, in every environment, so a mistyped key stops the app at start instead of surfacing as
 * "could not be decrypted" on a clinician's screen. Messages name the variable and the entry, never the key.
 */
export function sealingKeysFromEnv(env: NodeJS.ProcessEnv): SealingKeysConfig {
  const problem = (what: string): Error => new Error(`Encryption keys: ${what} (expected 32 random bytes, base64; see docs/deploy.md)`);
  const currentRaw = env.TOKEN_ENCRYPTION_KEY;
  const current = currentRaw === undefined || currentRaw.trim() === '' ? undefined : currentRaw.trim();
  if (current !== undefined && !BASE64_32_BYTES.test(current)) {
    throw problem('TOKEN_ENCRYPTION_KEY is not 32 bytes of base64');
  }
  const previousRaw = env.TOKEN_ENCRYPTION_PREVIOUS_KEYS;
  const previous = previousRaw === undefined || previousRaw.trim() === '' ? [] : previousRaw.split(',').map((k) => k.trim());
  previous.forEach((key, index) => {
    const entry = `TOKEN_ENCRYPTION_PREVIOUS_KEYS entry ${index + 1}`;
    if (!BASE64_32_BYTES.test(key)) {
      throw problem(key === '' ? `${entry} is empty` : `${entry} is not 32 bytes of base64`);
    }
    if (key === current) {
      throw problem(`${entry} is the current TOKEN_ENCRYPTION_KEY`);
    }
    const earlier = previous.indexOf(key);
    if (earlier < index) {
      throw problem(`${entry} repeats entry ${earlier + 1}`);
    }
  });
  return { current, previous };
}

/**
 * Builds the configuration from an environment (process.env by default) and checks the production rules.
 * @param env - the variables to read; tests pass their own.
 * @returns the typed, validated configuration.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const e = envSchema.parse(env);
  const sealingKeys = sealingKeysFromEnv(env);
  const tenants = parseTenants(e.EHR_TENANTS);
  const sandboxEnabled = e.SANDBOX === undefined ? tenants.length === 0 : e.SANDBOX === 'on';
  const appBaseUrl = (e.APP_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const sandboxBaseUrl = (e.SANDBOX_BASE_URL ?? `http://localhost:${e.SANDBOX_PORT}`).replace(/\/+$/, '');
  if (sandboxEnabled) {
    tenants.unshift(...sandboxTenants(sandboxBaseUrl, e.SMART_CLIENT_ID));
  }
  // Production as soon as a real EHR is configured, unless the sandbox rules are chosen explicitly.
  const runAs = e.ITDD_ENV ?? (tenants.length > (sandboxEnabled ? SANDBOX_SITES.length : 0) ? 'production' : 'sandbox');
  const config: AppConfig = {
    env: runAs,
    host: e.HOST,
    port: e.PORT,
    appBaseUrl,
    sandbox: { enabled: sandboxEnabled, port: e.SANDBOX_PORT, baseUrl: sandboxBaseUrl, latencyMs: e.SANDBOX_LATENCY_MS },
    tenants,
    scopes: DEFAULT_SCOPES,
    clientId: e.SMART_CLIENT_ID,
    appPrivateJwk: parseJwk(e.APP_PRIVATE_JWK),
    tokenEncryptionKey: sealingKeys.current,
    tokenEncryptionPreviousKeys: sealingKeys.previous,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(projectRoot(), e.DATA_DIR ?? '.data'),
    launchIdleMs: e.LAUNCH_IDLE_MINUTES * 60_000,
    launchMaxMs: e.LAUNCH_MAX_HOURS * 3_600_000,
    logLevel: e.LOG_LEVEL,
    writeMaxAttachmentBytes: e.WRITE_MAX_ATTACHMENT_BYTES,
    writeLeaseMs: e.WRITE_LEASE_MS,
    warmPdf: e.PDF_WARM === 'on',
    pdfPool: { size: e.PDF_BROWSERS, pagesPerBrowser: e.PDF_PAGES_PER_BROWSER },
    rateLimits: parseRateLimits(e.RATE_LIMITS),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    contentDir: e.CONTENT_DIR === undefined || e.CONTENT_DIR === '' ? undefined : path.resolve(projectRoot(), e.CONTENT_DIR),
    requireApprovedContent: (e.CONTENT_APPROVAL ?? (runAs === 'production' ? 'required' : 'optional')) === 'required',
  };
  assertProductionReady(config, { tlsChecksOff: e.NODE_TLS_REJECT_UNAUTHORIZED === '0' });
  return config;
}

/** Production never runs on generated secrets, plain HTTP or the sandbox. */
function assertProductionReady(config: AppConfig, runtime: { tlsChecksOff: boolean }): void {
  if (config.env !== 'production') {
    return;
  }
  const problems: string[] = [];
  if (config.sandbox.enabled) {
    problems.push('the sandbox EHR must be off (SANDBOX=off)');
  }
  if (config.tenants.length === 0) {
    problems.push('EHR_TENANTS must list at least one EHR');
  }
  if (!config.appBaseUrl.startsWith('https://')) {
    problems.push('APP_BASE_URL must be https');
  }
  if (config.tenants.some((t) => !t.iss.startsWith('https://'))) {
    problems.push('every tenant iss must be https');
  }
  if (config.tenants.some((t) => [...t.authOrigins, ...t.frameOrigins].some((origin) => !origin.startsWith('https://')))) {
    problems.push('every tenant authOrigins and frameOrigins entry must be https');
  }
  if (config.appPrivateJwk === undefined) {
    problems.push('APP_PRIVATE_JWK is required');
  }
  if (config.tokenEncryptionKey === undefined || Buffer.from(config.tokenEncryptionKey, 'base64').length !== 32) {
    problems.push('TOKEN_ENCRYPTION_KEY must be 32 bytes, base64');
  }
  if (config.databaseUrl === undefined) {
    problems.push('DATABASE_URL is required');
  }
  if (!config.requireApprovedContent) {
    problems.push('content approval cannot be optional (CONTENT_APPROVAL=optional)');
  }
  // With it, any certificate — self-signed, expired, another host's — would be taken for the EHR's, and the
  // launch's code, the client assertion and every access token would go to whoever answered.
  if (runtime.tlsChecksOff) {
    problems.push('TLS certificate checks cannot be turned off (NODE_TLS_REJECT_UNAUTHORIZED=0)');
  }
  if (problems.length > 0) {
    throw new Error(`Refusing to start in production: ${problems.join('; ')}`);
  }
}

/**
 * The clinic named on every page of the patient handout, with its phone numbers (`CLINIC_NAME`, `CLINIC_PHONE`,
 * `CLINIC_AFTER_HOURS_PHONE`). The defaults are plainly synthetic (555-01xx numbers are reserved for fiction), so a
 * deployment that forgot to set them prints a clinic no patient could mistake for a real one.
 */
export interface ClinicContact {
  name: string;
  phone: string;
  afterHoursPhone: string;
}

const clinicSchema = z.object({
  CLINIC_NAME: z.string().trim().min(1).max(80).default('Sandbox Pain Clinic'),
  CLINIC_PHONE: z.string().trim().regex(/^[0-9+()\-. ]{3,30}$/).default('555-0100'),
  CLINIC_AFTER_HOURS_PHONE: z.string().trim().regex(/^[0-9+()\-. ]{3,30}$/).default('555-0199'),
});

export function clinicContactFromEnv(env: NodeJS.ProcessEnv = process.env): ClinicContact {
  const parsed = clinicSchema.parse({
    CLINIC_NAME: env.CLINIC_NAME || undefined,
    CLINIC_PHONE: env.CLINIC_PHONE || undefined,
    CLINIC_AFTER_HOURS_PHONE: env.CLINIC_AFTER_HOURS_PHONE || undefined,
  });
  return { name: parsed.CLINIC_NAME, phone: parsed.CLINIC_PHONE, afterHoursPhone: parsed.CLINIC_AFTER_HOURS_PHONE };
}
