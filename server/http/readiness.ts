import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * Liveness and readiness, kept apart (a load balancer and the container runtime ask different questions):
 * `/healthz` says the process answers — restart it if not; `/readyz` says this instance can serve a clinician now —
 * its store answers, its PDF renderer is not broken, and which EHRs it has stopped calling for a while. A not-ready
 * instance answers 503 so the balancer sends clinicians elsewhere; nothing here contains PHI or secrets.
 */
export type CheckResult = { ok: true; state: string } | { ok: false; state: string };

export interface ReadinessCheck {
  name: string;
  run(): Promise<CheckResult>;
}

const CHECK_DEADLINE_MS = 2000;

async function withDeadline(check: ReadinessCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, state: 'no answer in time' }), CHECK_DEADLINE_MS);
  });
  try {
    return await Promise.race([check.run().catch((): CheckResult => ({ ok: false, state: 'unreachable' })), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function readinessHandler(checks: readonly ReadinessCheck[]): RequestHandler {
  return async (_req, res) => {
    const results = await Promise.all(checks.map(async (check) => [check.name, await withDeadline(check)] as const));
    const ready = results.every(([, result]) => result.ok);
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(results.map(([name, result]) => [name, result.state])),
    });
  };
}

/** The answer to every request while the process starts: the port is open (its number is needed), the app is not. */
export function startingHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2', 'cache-control': 'no-store', connection: 'close' });
    res.end(JSON.stringify({ status: 'starting' }));
  };
}
