import type { NextFunction, Request, Response } from 'express';
import { isFhirPath } from './context';

/** One request the sandbox EHR answered, timed on `performance.now()` (benchmarks line it up with their own marks). */
export interface SandboxRequest {
  method: string;
  /** Without the query string: search parameters can carry patient ids. */
  path: string;
  start: number;
  /** When the answer finished, or the connection closed without one (the drop-after-store fault). */
  end: number;
}

/** Enough for a benchmark run; the oldest entries go first so a long-running sandbox stays bounded. */
export const MAX_REQUESTS_RECORDED = 10_000;

export interface Traffic {
  /** Records every request, then delays the auth and FHIR endpoints by the configured latency. */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  requests: () => SandboxRequest[];
  /** Every request ever received (not bounded): filings are costed by the difference. */
  count: () => number;
}

/** What a remote EHR's network and load add: only its API answers late, not the simulator's own page and assets. */
function delayed(path: string): boolean {
  return path.startsWith('/auth/') || isFhirPath(path);
}

export function createTraffic(latencyMs: number): Traffic {
  const log: SandboxRequest[] = [];
  let count = 0;
  return {
    middleware: (req, res, next) => {
      count += 1;
      const start = performance.now();
      const path = req.path;
      res.once('close', () => {
        log.push({ method: req.method, path, start, end: performance.now() });
        if (log.length > MAX_REQUESTS_RECORDED) {
          log.splice(0, log.length - MAX_REQUESTS_RECORDED);
        }
      });
      if (latencyMs > 0 && delayed(path)) {
        setTimeout(next, latencyMs);
      } else {
        next();
      }
    },
    requests: () => log.map((entry) => ({ ...entry })),
    count: () => count,
  };
}
