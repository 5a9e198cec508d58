import type { NextFunction, Request, Response } from 'express';
import type { FhirSiteContext } from '../context';
import { fhirError } from '../errors';
import type { Grant, SimulatedFault } from '../types';

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]{1,512}=*)$/i;

/** The launcher's request-time faults: the token is live, yet every FHIR request with it is refused. */
const SIMULATED_REFUSALS: Partial<Record<SimulatedFault, { message: string; issueCode: string }>> = {
  request_invalid_token: { message: 'Invalid token (simulated).', issueCode: 'login' },
  request_expired_token: { message: 'Token expired (simulated).', issueCode: 'expired' },
};

/** Every FHIR request except discovery and `metadata` needs a live access token: else 401 + `WWW-Authenticate: Bearer`. */
export function requireAccessToken(ctx: FhirSiteContext): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    const grant = match === null ? undefined : ctx.state.accessTokens.get(match[1]);
    // A token is for the one FHIR base it was granted on (its `aud`): another base is another EHR to it.
    if (grant === undefined || (grant.system !== true && grant.context.simulation.vendor !== ctx.vendor)) {
      throw fhirError('unauthorized', 'A valid access token is required.', 'login');
    }
    const refusal = SIMULATED_REFUSALS[grant.context.simulation.fault];
    if (refusal !== undefined) {
      throw fhirError('unauthorized', refusal.message, refusal.issueCode);
    }
    res.locals.grant = grant;
    res.locals.accessToken = match?.[1];
    next();
  };
}

/** The grant `requireAccessToken` attached to this request. */
export function grantOf(res: Response): Grant {
  return res.locals.grant as Grant;
}

/** The access token this request presented (the fault injector revokes it to simulate an ended session). */
export function accessTokenOf(res: Response): string {
  return res.locals.accessToken as string;
}

/** The grant, when the request got past `requireAccessToken` (the write log also sees refused requests). */
export function optionalGrantOf(res: Response): Grant | undefined {
  return res.locals.grant as Grant | undefined;
}
