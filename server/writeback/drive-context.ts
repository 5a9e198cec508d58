/**
 * What one drive of one intent works with: the ledger, the lease it holds, the launch whose token it uses, and the
 * HTTP clients bound to that launch's FHIR base (the token never goes anywhere else).
 */
import type { FhirHttp } from '../chart/fhir-http';
import { createFhirHttp } from '../chart/fhir-http';
import { normaliseBaseUrl } from '../chart/fhir-url';
import type { AccessTokenDeps, AccessTokenProvider } from '../launch/access-token';
import { createAccessTokenProvider } from '../launch/access-token';
import type { Logger } from '../log';
import type { LaunchSession } from '../store/launch-sessions';
import type { WriteSettings } from './fhir-write';
import type { WriteLedger, WriteIntent } from './ledger';
import type { LedgerEvent } from './ledger-states';
import type { IntentChanges } from './ledger';
import type { RetryPolicy } from './retry-after';

export interface DriveOptions {
  /** How long a lease lasts without renewal; longer than any one step (a send, a read-back). Default 60 s. */
  leaseMs: number;
  /** Deadline of one POST (headers and body). Default 20 s. */
  writeTimeoutMs: number;
  /** Pause before searching the chart after an unknown outcome, so an EHR still committing can finish. Default 2 s. */
  settleMs: number;
  retry: RetryPolicy;
}

export interface DriveContext {
  ledger: WriteLedger;
  /** The lease owner of this drive (instance id + a random part). */
  owner: string;
  launch: LaunchSession;
  tokens: AccessTokenDeps;
  logger: Logger;
  /** Aborted when the app stops: the drive ends at once, drawing no conclusion. */
  signal: AbortSignal;
  options: DriveOptions;
}

export interface DriveIo {
  http: FhirHttp;
  write: WriteSettings;
  provider: AccessTokenProvider;
}

const WRITE_ANSWER_MAX_BYTES = 1024 * 1024;

export function ioFor(ctx: DriveContext): DriveIo {
  const provider = createAccessTokenProvider(ctx.tokens, ctx.launch);
  const baseUrl = normaliseBaseUrl(ctx.launch.fhirBaseUrl);
  const getAccessToken = (): Promise<string> => provider.getAccessToken();
  const fetchImpl = ctx.tokens.ehrFetch?.(ctx.launch.tenantId) ?? fetch;
  return {
    provider,
    http: createFhirHttp({ baseUrl, getAccessToken, onUnauthorized: () => provider.refreshAfterUnauthorized(), fetchImpl }),
    write: {
      baseUrl,
      getAccessToken,
      timeoutMs: ctx.options.writeTimeoutMs,
      maxBytes: WRITE_ANSWER_MAX_BYTES,
      fetchImpl,
      signal: ctx.signal,
    },
  };
}

/** `'stop'` ends the drive with the intent where the ledger has it. */
export type Step = WriteIntent | 'stop';

/** Applies a transition under this drive's lease and logs it (ids and codes only: no PHI). */
export async function move(ctx: DriveContext, intent: WriteIntent, event: LedgerEvent, changes: IntentChanges = {}): Promise<Step> {
  const moved = await ctx.ledger.apply(intent.id, ctx.owner, intent.state, event, changes);
  if (moved === undefined) {
    ctx.logger.warn('writeback.lease_lost', { intent: intent.id.slice(0, 8), step: event });
    return 'stop';
  }
  ctx.logger.info('writeback.transition', {
    intent: intent.id.slice(0, 8),
    step: event,
    from: intent.state,
    to: moved.state,
    code: moved.lastError?.code,
    attempts: moved.attempts,
  });
  return moved;
}

/** Waits `ms` unless the app stops first; true when the wait ran to its end. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
