import type { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { ClientKeyResolver } from './auth/client-keys';
import type { SandboxData } from './data/loader';
import type { SigningKey } from './keys';
import type { SandboxState } from './state';
import type { Clock, SandboxClient } from './types';

/** Everything the sandbox's route modules share, built once by `createSandbox`. */
export interface SandboxContext {
  baseUrl: string;
  fhirBaseUrl: string;
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

/** Seconds since the epoch, from the sandbox clock (JWT `iat`/`exp` are in seconds). */
export function nowSeconds(ctx: Pick<SandboxContext, 'clock'>): number {
  return Math.floor(ctx.clock() / 1000);
}
