import type { NextFunction, Request, Response } from 'express';
import type { SandboxContext } from '../context';
import { fhirError } from '../errors';
import { accessTokenOf, grantOf } from '../fhir/bearer';
import { patientOfWrite } from '../fhir/write-log';
import { retryAfterHeader, takeFault } from './fault-queue';
import type { FaultPlan, FaultScope } from './fault-queue';

/**
 * Applies a waiting fault to a FHIR request (after authentication and body parsing, before any processing).
 * Faults that answer instead of the server leave nothing stored; `drop-after-store` and `slow` let the request be
 * processed and then tamper with the answer, which is how a real write gets committed while its response is lost;
 * `no-location` lets it be processed and takes the `Location` header off the answer.
 */

type Handler = (req: Request, res: Response, next: NextFunction) => void;
type End = (...args: unknown[]) => Response;

/** Replaces `res.end` for this one response: everything the handlers and the error handler send goes through it. */
function interceptEnd(res: Response, replacement: (end: End, args: unknown[]) => void): void {
  const end = res.end.bind(res) as End;
  res.end = ((...args: unknown[]) => {
    replacement(end, args);
    return res;
  }) as Response['end'];
}

/** Answers in place of the server, or arranges for the answer to be lost or late. */
function apply(ctx: SandboxContext, res: Response, plan: FaultPlan, next: NextFunction): void {
  switch (plan.fault) {
    case 'rate-limit':
      res.setHeader('Retry-After', retryAfterHeader(plan.retryAfter, ctx.clock()));
      throw fhirError('too_many_requests', 'Too many requests (simulated): retry later.', 'throttled');
    case 'unavailable':
      res.setHeader('Retry-After', retryAfterHeader(plan.retryAfter, ctx.clock()));
      throw fhirError('internal', 'The service is unavailable (simulated): retry later.', 'transient', 503);
    case 'server-error':
      throw fhirError('internal', 'The server failed (simulated).', 'exception');
    case 'unauthorized':
      ctx.state.accessTokens.delete(accessTokenOf(res));
      throw fhirError('unauthorized', 'The session has ended (simulated): the access token is revoked.', 'login');
    case 'drop-after-store':
      interceptEnd(res, () => res.socket?.destroy());
      break;
    case 'slow':
      interceptEnd(res, (end, args) => setTimeout(() => end(...args), plan.delayMs).unref());
      break;
    case 'no-location':
      // The headers are written by `end`, so the one the handler set can still be taken off here.
      interceptEnd(res, (end, args) => {
        res.removeHeader('Location');
        end(...args);
      });
      break;
  }
  next();
}

/**
 * The fault injector for one kind of request: `write` for DocumentReference POST and PUT, `read` for GETs.
 * Marks the response with the fault so the write log can say what happened.
 */
export function injectFaults(ctx: SandboxContext, scope: FaultScope): Handler {
  return (req, res, next) => {
    const resourceType = String(req.params.type);
    if (scope === 'write' && resourceType !== 'DocumentReference') {
      next();
      return;
    }
    const grant = grantOf(res);
    const target = { scope, resourceType, patient: patientOfWrite(req, grant), launch: grant.context };
    const plan = takeFault(ctx.state.faults, target);
    if (plan === undefined) {
      next();
      return;
    }
    res.locals.fault = plan.fault;
    apply(ctx, res, plan, next);
  };
}
