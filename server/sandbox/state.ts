import crypto from 'node:crypto';
import { ExpiringStore } from './expiring-store';
import { createFaultQueue } from './faults/fault-queue';
import type { FaultQueue } from './faults/fault-queue';
import type { WriteLogEntry } from './fhir/write-log';
import type { Clock, Grant, LaunchContext, SandboxVendor } from './types';

/** SMART EHR launch tokens: created by the simulator, usable until a token is issued from them, 5 minutes at most. */
export const LAUNCH_TTL_MS = 5 * 60_000;
/** A standalone login page left open this long must be reloaded. */
export const PENDING_TTL_MS = 10 * 60_000;
/** Authorization codes: single use, one minute (what Oracle Health documents as usual). */
export const CODE_TTL_MS = 60_000;
export const ONLINE_REFRESH_TTL_MS = 8 * 3_600_000;
export const OFFLINE_REFRESH_TTL_MS = 30 * 24 * 3_600_000;

export interface LaunchRecord {
  clientId: string;
  context: LaunchContext;
}

/** A validated authorization request, remembered until it is answered. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** The FHIR base (`aud`) the app asked access to; an EHR launch must be for the same one. */
  vendor: SandboxVendor;
  state: string;
  /** The scopes the app asked for. */
  scopes: string[];
  codeChallenge: string;
  nonce?: string;
  /** The EHR launch it belongs to, if any. */
  launchId?: string;
}

export interface PendingAuthorization {
  request: AuthorizationRequest;
  /** Echoed by the form. */
  csrf: string;
  /** The browser cookie the decision must come back with, binding the page to the browser that loaded it. */
  browserId: string;
}

export interface CodeRecord {
  request: AuthorizationRequest;
  grant: Grant;
}

/** What a redeemed code produced: revoked if the code is ever presented again (RFC 6749 §4.1.2). */
export interface RedeemedCode {
  accessToken: string;
  refreshToken?: string;
}

export interface RefreshRecord {
  grant: Grant;
  ttlMs: number;
}

export interface SandboxState {
  launches: ExpiringStore<LaunchRecord>;
  pending: ExpiringStore<PendingAuthorization>;
  codes: ExpiringStore<CodeRecord>;
  redeemedCodes: ExpiringStore<RedeemedCode>;
  accessTokens: ExpiringStore<Grant>;
  refreshTokens: ExpiringStore<RefreshRecord>;
  /** `client_id:jti` of every client assertion seen, remembered for the assertion's life. */
  seenJtis: ExpiringStore<true>;
  /** Every access, refresh and id token issued (most recent 10 000): the ground truth for token-leak tests. */
  issuedSecrets: string[];
  /** Faults waiting for FHIR requests (`POST /simulator/faults`, and the launch form's write fault). */
  faults: FaultQueue;
  /** Every DocumentReference POST and PUT received (most recent 10 000). */
  writeLog: WriteLogEntry[];
}

export function createSandboxState(clock: Clock): SandboxState {
  return {
    launches: new ExpiringStore(clock),
    pending: new ExpiringStore(clock),
    codes: new ExpiringStore(clock),
    redeemedCodes: new ExpiringStore(clock),
    accessTokens: new ExpiringStore(clock),
    refreshTokens: new ExpiringStore(clock),
    seenJtis: new ExpiringStore(clock, 100_000),
    issuedSecrets: [],
    faults: createFaultQueue(),
    writeLog: [],
  };
}

/** An opaque credential: 256 bits from the CSPRNG, base64url. */
export function randomToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}
