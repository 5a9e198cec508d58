import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../errors';
import type { Logger } from '../log';

/**
 * Request budgets per client address and per launch, counted in the app's own database (rate-limiter-flexible's
 * PostgreSQL store, over the one `Db` handle, so PGlite and PostgreSQL alike): every instance on one PostgreSQL
 * shares the counts, and a restart does not reset them. If the database cannot count, a per-process memory limiter
 * (the library's insurance limiter) holds the line until it can.
 *
 * Budgets are generous for a clinic (a hospital's clinicians often share one NAT address) and far below a flood:
 * the review saw 150 launches in 1.2 s from one address and 60 chart calls in 6 s from one session.
 */
export interface Budget {
  points: number;
  /** Window in seconds. */
  seconds: number;
}

export interface RateLimitBudgets {
  /** `/launch` and `/standalone`: each creates a pending sign-in, per client address. */
  launchPerAddress: Budget;
  /** `/callback`: the EHR's answer, per client address. */
  callbackPerAddress: Budget;
  /** Every `/api/…` and `/app/…` request, per client address. */
  apiPerAddress: Budget;
  /** GETs of one launch (its pages, context, handout, PDF). */
  readsPerLaunch: Budget;
  /** POST/PUT of one launch (checklist saves, notes, attestation, filing, chart refresh). */
  writesPerLaunch: Budget;
  /** "Refresh from the chart" of one launch: each is a wave of EHR reads against the EHR's own rate limits. */
  chartRefreshPerLaunch: Budget;
}

export const DEFAULT_BUDGETS: RateLimitBudgets = {
  launchPerAddress: { points: 120, seconds: 60 },
  callbackPerAddress: { points: 120, seconds: 60 },
  apiPerAddress: { points: 3000, seconds: 60 },
  readsPerLaunch: { points: 300, seconds: 60 },
  writesPerLaunch: { points: 120, seconds: 60 },
  chartRefreshPerLaunch: { points: 6, seconds: 60 },
};

/** The subset of `Db` the store needs: one parameterised query. */
interface QueryableDb {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface RateLimits {
  launch: RequestHandler;
  callback: RequestHandler;
  /** Mounted on `/api/launches/:launchId` and `/app/:launchId`: per address, then per launch and method. */
  launchApi: RequestHandler;
  /** Mounted on a launch's chart refresh, after `launchApi`. */
  chartRefresh: RequestHandler;
}

const TABLE = 'rate_limits';

/** rate-limiter-flexible's PostgreSQL store speaks node-postgres' `query({ text, values })` → `{ rows, rowCount }`. */
function pgClientOf(db: QueryableDb): { query(q: { text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number }> } {
  return {
    async query(q) {
      const rows = await db.query(q.text, q.values ?? []);
      return { rows, rowCount: rows.length };
    },
  };
}

function limiterIn(db: QueryableDb, name: string, budget: Budget): RateLimiterAbstract {
  return new RateLimiterPostgres({
    storeClient: pgClientOf(db),
    storeType: 'pool',
    tableName: TABLE,
    // Migration 009 makes the table: the library's own CREATE races when limiters or instances start at once.
    tableCreated: true,
    keyPrefix: name,
    points: budget.points,
    duration: budget.seconds,
    clearExpiredByTimeout: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points: budget.points, duration: budget.seconds }),
  });
}

/** The client's address (behind a load balancer, as `trust proxy` allows), hashed: counters hold no IP address. */
function addressKey(req: Request): string {
  return crypto.createHash('sha256').update(req.ip ?? req.socket.remoteAddress ?? 'unknown').digest('base64url').slice(0, 22);
}

function launchKey(req: Request): string {
  const launchId = typeof req.params.launchId === 'string' ? req.params.launchId : '';
  return crypto.createHash('sha256').update(launchId).digest('base64url').slice(0, 22);
}

const tooMany = (retryAfterS: number, what: string): AppError =>
  new AppError('too_many_requests', `Too many ${what} in a short time, so the app is pausing them.`, {
    hint: `Nothing you entered has been lost. Wait ${retryAfterS} seconds and try again.`,
    details: { reason: 'rate_limited', retryAfterSeconds: retryAfterS },
  });

/** Consumes one point from each limiter in turn; the first that is spent answers 429 with Retry-After. */
function guard(logger: Logger, what: string, checks: ReadonlyArray<[RateLimiterAbstract, (req: Request) => string]>): RequestHandler {
  return async (req, res, next) => {
    for (const [limiter, keyOf] of checks) {
      try {
        await limiter.consume(keyOf(req));
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          const retryAfterS = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          res.setHeader('Retry-After', String(retryAfterS));
          logger.warn('http.rate_limited', { limiter: limiter.keyPrefix, retryAfterS });
          next(tooMany(retryAfterS, what));
          return;
        }
        next(rejection);
        return;
      }
    }
    next();
  };
}

export function createRateLimits(db: QueryableDb, logger: Logger, budgets: RateLimitBudgets = DEFAULT_BUDGETS): RateLimits {
  const launch = limiterIn(db, 'launch-addr', budgets.launchPerAddress);
  const callback = limiterIn(db, 'callback-addr', budgets.callbackPerAddress);
  const api = limiterIn(db, 'api-addr', budgets.apiPerAddress);
  const reads = limiterIn(db, 'reads-launch', budgets.readsPerLaunch);
  const writes = limiterIn(db, 'writes-launch', budgets.writesPerLaunch);
  const refresh = limiterIn(db, 'refresh-launch', budgets.chartRefreshPerLaunch);
  const readGuard = guard(logger, 'requests', [[api, addressKey], [reads, launchKey]]);
  const writeGuard = guard(logger, 'changes', [[api, addressKey], [writes, launchKey]]);
  return {
    launch: guard(logger, 'launches', [[launch, addressKey]]),
    callback: guard(logger, 'sign-ins', [[callback, addressKey]]),
    launchApi: (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? readGuard : writeGuard)(req, res, next),
    chartRefresh: guard(logger, 'chart refreshes', [[refresh, launchKey]]),
  };
}
