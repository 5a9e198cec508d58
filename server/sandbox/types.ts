/** Milliseconds since the epoch. Injected so tests can move time (code and token expiry) without sleeping. */
export type Clock = () => number;

/**
 * The EHRs the sandbox imitates. Each is a tenant of its own with its own FHIR base (its `iss`), the way a real
 * site is one vendor per `iss`; the app learns which from its configuration, never from anything the sandbox sends.
 * Its own type rather than the app's config `Vendor`: the sandbox imports nothing of the app but the kernel.
 */
export const SANDBOX_VENDORS = ['generic', 'epic', 'oracle'] as const;
export type SandboxVendor = (typeof SANDBOX_VENDORS)[number];

/** An app registered with the sandbox EHR, the way a real EHR's app registration records it. */
export interface SandboxClient {
  clientId: string;
  /** Exact match required at `/auth/authorize` and `/auth/token` (SMART: "fixed, fully-specified redirect_uri"). */
  redirectUris: string[];
  /** Where the simulator sends EHR launches: `${launchUrl}?iss=...&launch=...`. */
  launchUrl: string;
  /** private_key_jwt: the app's public JWKS URL (fetched with a 5 s deadline, no redirects, cached 5 min). */
  jwksUrl?: string;
  /** Or the public keys inline (tests). */
  jwks?: { keys: JsonWebKey[] };
  /** A public client: no client authentication, `client_id` in the token request body. */
  public?: boolean;
  /**
   * Registered for SMART Backend Services (`client_credentials`): the `system/` scopes it may be granted at most,
   * e.g. `system/Procedure.rs`. Needs a JWKS URL or inline keys (the assertion is its only credential).
   */
  backendScopes?: string[];
}

export interface SandboxOptions {
  /** Public origin of the sandbox, e.g. `http://localhost:4001` (no trailing slash). */
  baseUrl: string;
  clients: SandboxClient[];
  /** The id_token signing key (RS256) is generated here at first start (0600 file) and reused after. */
  keyDir: string;
  /** Folder with `practitioners.json` (or `sandbox/practitioners.json`) and `patients/index.json`. */
  dataDir?: string;
  /** Default 3600 (SMART: "SHOULD have a valid lifetime no greater than one hour"). */
  accessTokenLifetimeSeconds?: number;
  /** Time source for expiry checks; defaults to `Date.now`. */
  clock?: Clock;
  /** Answer every auth and FHIR request this many milliseconds late (a remote EHR's latency, for benchmarks). Default 0. */
  latencyMs?: number;
}

/** One synthetic patient the simulator can open, as listed in `patients/index.json`. */
export interface SandboxPatient {
  patientId: string;
  /** The index's encounter first, then any other encounters in the patient's bundle. */
  encounterIds: string[];
  /** Display name, or `(no name)`. */
  name: string;
  scenario: string;
}

/** A sandbox user (a Practitioner in `practitioners.json`). */
export interface SandboxPractitioner {
  id: string;
  name: string;
}

/**
 * Faults the simulator can inject, each mirroring a failure a real EHR produces. The last four are the SMART App
 * Launcher's `auth_error` modes of the same name that reach an asymmetric EHR-launched app (security-reliability
 * §2.3); its `token_invalid_token` is `invalid_client` here and its `token_expired_refresh_token` is `refresh_refused`.
 * - `auth_invalid_scope`: the authorization answers `error=invalid_scope` to the redirect URI (RFC 6749 §4.1.2.1).
 * - `token_invalid_jti`: the token endpoint refuses the client assertion's `jti` (401 invalid_client).
 * - `request_invalid_token`, `request_expired_token`: every FHIR request with the launch's tokens, refreshed ones
 *   included, answers 401 (the launcher carries the mode into every token it issues).
 */
export const SIMULATED_FAULTS = [
  'none',
  'access_denied',
  'token_failure',
  'invalid_client',
  'refresh_refused',
  'id_token_bad_signature',
  'id_token_wrong_audience',
  'auth_invalid_scope',
  'token_invalid_jti',
  'request_invalid_token',
  'request_expired_token',
] as const;
export type SimulatedFault = (typeof SIMULATED_FAULTS)[number];

/**
 * Faults the sandbox can inject into FHIR requests (DocumentReference writes, optionally reads): the failures that
 * make duplicate-free filing hard (shared research `security-reliability.md` §4.3 and §6 H2–H4).
 * - `rate-limit` 429 and `unavailable` 503, each with `Retry-After`; `server-error` 500; `unauthorized` 401 after
 *   revoking the access token. Nothing is stored.
 * - `drop-after-store`: processed (the note is filed), then the connection is destroyed without an answer.
 * - `slow`: processed, answered only after a delay.
 * - `no-location`: processed, answered without a `Location` header (the id must come from the body or a search).
 */
export const WRITE_FAULTS = ['rate-limit', 'unavailable', 'drop-after-store', 'slow', 'unauthorized', 'server-error', 'no-location'] as const;
export type WriteFault = (typeof WRITE_FAULTS)[number];

/** `need_patient_banner` as sent: boolean true/false, or the string "false" the way Epic sends it. */
export const BANNER_SETTINGS = ['true', 'false', 'string-false'] as const;
export type BannerSetting = (typeof BANNER_SETTINGS)[number];

/** How a launch should behave; kept with the launch and every token issued from it. */
export interface Simulation {
  /** The tenant (FHIR base) the launch belongs to: fixed by the simulator's launch, or by `aud` in a standalone one. */
  vendor: SandboxVendor;
  banner: BannerSetting;
  fault: SimulatedFault;
  /** Resource types removed from the granted scopes: the app's reads of them get 403. */
  deniedTypes: string[];
  /** Resource types whose searches answer 500. */
  failingTypes: string[];
  embed: boolean;
  /** A fault for the launch's first DocumentReference write (the simulator's manual-testing switch). */
  writeFault: WriteFault | 'none';
}

export const DEFAULT_SIMULATION: Simulation = {
  vendor: 'generic',
  banner: 'true',
  fault: 'none',
  deniedTypes: [],
  failingTypes: [],
  embed: false,
  writeFault: 'none',
};

/** Who and what a launch is about. */
export interface LaunchContext {
  /** Absent for a standalone launch that asked for no patient (`launch/patient` not requested). */
  patient?: string;
  encounter?: string;
  user: string;
  simulation: Simulation;
}

/** What an access token or a refresh token stands for. */
export interface Grant {
  clientId: string;
  /** The granted scopes (what the token response's `scope` says). */
  scopes: string[];
  context: LaunchContext;
  /** Whether the grant came from an EHR launch (encounter context is only sent then). */
  ehrLaunch: boolean;
  /**
   * A SMART Backend Services grant (`system/` scopes, no user or patient). The sandbox's three FHIR bases imitate
   * three vendors over one chart, so such a token is accepted on each of them (a real backend token is for the one
   * EHR whose token endpoint issued it).
   */
  system?: boolean;
}
