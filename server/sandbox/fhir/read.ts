import { isOk } from '@medplum/core';
import type { Request, Response } from 'express';
import type { FhirSiteContext } from '../context';
import { fhirError } from '../errors';
import { canSee, decideAccess } from './access';
import { grantOf } from './bearer';
import { callRouter, sendFhir, sendOutcome, setVersionHeaders } from './respond';

/** `GET /fhir/:type/:id` and `GET /fhir/:type/:id/_history/:vid` (the target of a create's `Location`). */
export async function handleRead(ctx: FhirSiteContext, req: Request, res: Response): Promise<void> {
  const { type, id, vid } = req.params as { type: string; id: string; vid?: string };
  const access = decideAccess(grantOf(res), type, 'read');
  const url = vid === undefined ? `${type}/${id}` : `${type}/${id}/_history/${vid}`;
  const [outcome, resource] = await callRouter(ctx, 'GET', url);
  if (!isOk(outcome) || resource === undefined) {
    sendOutcome(res, outcome);
    return;
  }
  if (!canSee(resource, access)) {
    throw fhirError('forbidden', `With patient scopes, only the patient in context's ${type} can be read.`, 'forbidden');
  }
  setVersionHeaders(res, resource);
  sendFhir(res, 200, resource);
}
