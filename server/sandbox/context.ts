import type { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { ClientKeyResolver } from './auth/client-keys';
import type { SandboxData } from './data/loader';
import type { SigningKey } from './keys';
import type { SandboxState } from './state';
import type { Clock, SandboxClient, SandboxVendor } from './types';

/** Everything the sandbox's route modules share, built once by `createSandbox`. */
export interface SandboxContext {
  baseUrl: string;
  /** Each imitated EHR's FHIR base: its `iss`, the `aud` its tokens are for and the issuer of its id_tokens. */
  fhirBaseUrls: Readonly<Record<SandboxVendor, string>>;
  authorizeUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  styleUrl: string;
  clients: ReadonlyMap<string, SandboxClient>;
  /** The app the simulator launches: the first registered confidential client (else the first client). */
  appClient: SandboxClient;
  repo: MemoryRepository;
  router: FhirRouter;
  data: SandboxData;
  /** The resource types the FHIR server serves (CapabilityStatement order). */
  servedTypes: ReadonlySet<string>;
  state: SandboxState;
  signingKey: SigningKey;
  clientKeys: ClientKeyResolver;
  clock: Clock;
  accessTokenLifetimeSeconds: number;
}

/**
 * One imitated EHR's FHIR server: the shared context plus the base the request came in on. Everything served there
 * (URLs, discovery, CapabilityStatement, write behaviour) follows that base's vendor.
 */
export interface FhirSiteContext extends SandboxContext {
  vendor: SandboxVendor;
  fhirBaseUrl: string;
}

/** Where each imitated EHR serves FHIR, below the sandbox origin. Distinct bases, like distinct real sites. */
export const FHIR_SITE_PATHS: Readonly<Record<SandboxVendor, string>> = { generic: '/r4', epic: '/epic/r4', oracle: '/oracle/r4' };

/** Whether a request path is below one of the FHIR bases (the error handler answers those with OperationOutcomes). */
export function isFhirPath(path: string): boolean {
  return Object.values(FHIR_SITE_PATHS).some((base) => path === base || path.startsWith(`${base}/`));
}

export function siteContext(ctx: SandboxContext, vendor: SandboxVendor): FhirSiteContext {
  return { ...ctx, vendor, fhirBaseUrl: ctx.fhirBaseUrls[vendor] };
}

/** The vendor whose FHIR base is `url`, if it is one. */
export function vendorOfBase(ctx: SandboxContext, url: string | null | undefined): SandboxVendor | undefined {
  return (Object.keys(ctx.fhirBaseUrls) as SandboxVendor[]).find((vendor) => ctx.fhirBaseUrls[vendor] === url);
}

/** Seconds since the epoch, from the sandbox clock (JWT `iat`/`exp` are in seconds). */
export function nowSeconds(ctx: Pick<SandboxContext, 'clock'>): number {
  return Math.floor(ctx.clock() / 1000);
}
