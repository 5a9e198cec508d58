import CircuitBreaker from 'opossum';
import type { Logger } from '../log';

/**
 * A circuit breaker per EHR tenant around the app's FHIR requests (reads and writes), with opossum. When most of
 * an EHR's recent answers are failures — no answer, a timeout, a 5xx — the app stops calling it for a while rather
 * than retrying at full rate into an outage (and into the EHR's per-client rate limits), and says so: the chart
 * shows "paused" instead of ten timeouts, a filing waits and retries later. After the pause one trial request goes
 * through; its success closes the breaker again.
 *
 * State is per process, as a breaker's is by nature: each instance learns an outage from its own requests within a
 * few calls. 4xx answers (a refused read, a validation error) are the EHR working and do not count.
 */
export const BREAKER_SETTINGS = {
  /** Failures counted over this window… */
  rollingCountTimeoutMs: 30_000,
  /** …open the breaker once at least this many requests were made… */
  volumeThreshold: 5,
  /** …and at least this share of them failed. */
  errorThresholdPercentage: 50,
  /** How long calls pause before one trial request. */
  resetTimeoutMs: 30_000,
};

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A 5xx answer travels through the breaker as a failure and is handed back to the caller as the answer it was. */
class ServerErrorAnswer extends Error {
  constructor(readonly response: Response) {
    super(`EHR answered ${response.status}`);
  }
}

/** Thrown (instead of calling the EHR) while the tenant's breaker is open. */
export class EhrPausedError extends Error {
  readonly code = 'ehr_paused';
  constructor(readonly retryAfterMs: number) {
    super('Calls to the EHR are paused after repeated failures');
  }
}

export function isEhrPaused(error: unknown): error is EhrPausedError {
  return error instanceof EhrPausedError;
}

type FetchArgs = Parameters<typeof fetch>;

function stateOf(breaker: CircuitBreaker<FetchArgs, Response>): BreakerState {
  if (breaker.opened) {
    return 'open';
  }
  return breaker.halfOpen ? 'half-open' : 'closed';
}

export class EhrBreakers {
  private readonly byTenant = new Map<string, CircuitBreaker<FetchArgs, Response>>();

  constructor(
    private readonly logger: Logger,
    private readonly settings = BREAKER_SETTINGS,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private breakerOf(tenantId: string): CircuitBreaker<FetchArgs, Response> {
    let breaker = this.byTenant.get(tenantId);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(
        async (...args: FetchArgs): Promise<Response> => {
          const response = await this.fetchImpl(...args);
          if (response.status >= 500) {
            throw new ServerErrorAnswer(response);
          }
          return response;
        },
        {
          timeout: false, // each request carries its own deadline (AbortSignal)
          rollingCountTimeout: this.settings.rollingCountTimeoutMs,
          volumeThreshold: this.settings.volumeThreshold,
          errorThresholdPercentage: this.settings.errorThresholdPercentage,
          resetTimeout: this.settings.resetTimeoutMs,
        },
      );
      breaker.on('open', () => this.logger.warn('ehr.circuit_open', { tenant: tenantId, pauseMs: this.settings.resetTimeoutMs }));
      breaker.on('close', () => this.logger.info('ehr.circuit_closed', { tenant: tenantId }));
      this.byTenant.set(tenantId, breaker);
    }
    return breaker;
  }

  /** A `fetch` for this tenant's EHR, through its breaker. */
  fetchFor(tenantId: string): typeof fetch {
    const breaker = this.breakerOf(tenantId);
    return async (...args: FetchArgs): Promise<Response> => {
      try {
        return await breaker.fire(...args);
      } catch (error) {
        if (error instanceof ServerErrorAnswer) {
          return error.response;
        }
        if ((error as { code?: string }).code === 'EOPENBREAKER') {
          throw new EhrPausedError(this.settings.resetTimeoutMs);
        }
        throw error;
      }
    };
  }

  /** Every tenant's breaker that has been used, for readiness. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.byTenant].map(([tenant, breaker]) => [tenant, stateOf(breaker)]));
  }

  shutdown(): void {
    for (const breaker of this.byTenant.values()) {
      breaker.shutdown();
    }
  }
}
