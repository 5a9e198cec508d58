import { getStatus, isOk, OperationOutcomeError, validateResource } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import type { SandboxContext } from '../context';
import { fhirError } from '../errors';
import { canSee, decideAccess, grantCanRead, patientParamOf } from './access';
import type { Access } from './access';
import { grantOf } from './bearer';
import { callRouter, resourceUrl, sendFhir, sendOutcome, setVersionHeaders } from './respond';

const MAX_CONDITION_LENGTH = 2048;

/** The body as a resource of the URL's type, minus what only the server assigns (id, version, timestamp). */
function resourceFrom(req: Request, type: string): Resource {
  if (!req.is(['application/fhir+json', 'application/json'])) {
    throw fhirError('bad_request', 'Content-Type must be application/fhir+json or application/json.', 'not-supported', 415);
  }
  const body = req.body as unknown;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || (body as Resource).resourceType !== type) {
    throw fhirError('bad_request', `The body must be a ${type} resource.`, 'invalid');
  }
  const resource = { ...(body as Resource) };
  delete resource.id;
  if (resource.meta !== undefined) {
    resource.meta = { ...resource.meta };
    delete resource.meta.versionId;
    delete resource.meta.lastUpdated;
  }
  return resource;
}

/**
 * `If-None-Exist` for Medplum's conditional create. A patient-confined token's condition is narrowed to its
 * patient, so the match can never be (and so never reveal) another patient's record.
 */
function conditionHeader(req: Request, type: string, access: Access): Record<string, string> {
  const condition = req.get('if-none-exist');
  if (condition === undefined) {
    return {};
  }
  if (condition.length > MAX_CONDITION_LENGTH) {
    throw fhirError('bad_request', 'If-None-Exist is too long.', 'too-costly');
  }
  const params = new URLSearchParams(condition);
  const patientParam = patientParamOf(type);
  if (access.patient !== undefined && patientParam !== undefined) {
    params.set(patientParam, `Patient/${access.patient}`);
  }
  return { 'if-none-exist': params.toString() };
}

/** Medplum validates nothing on create; a strict EHR does. 400 with the validator's OperationOutcome. */
function validationOutcome(resource: Resource): OperationOutcomeError | undefined {
  try {
    validateResource(resource);
    return undefined;
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error;
    }
    throw error;
  }
}

/** `POST /fhir/:type`: validation, scope and patient checks, conditional create, `Location` and `ETag`. */
export async function handleCreate(ctx: SandboxContext, req: Request, res: Response): Promise<void> {
  const type = req.params.type as string;
  const grant = grantOf(res);
  const access = decideAccess(grant, type, 'create');
  const resource = resourceFrom(req, type);
  const invalid = validationOutcome(resource);
  if (invalid !== undefined) {
    sendFhir(res, 400, invalid.outcome);
    return;
  }
  if (!canSee(resource, access)) {
    throw fhirError('forbidden', `With patient scopes, a new ${type} must be about the patient in context.`, 'forbidden');
  }
  const [outcome, stored] = await callRouter(ctx, 'POST', type, resource, conditionHeader(req, type, access));
  if (!isOk(outcome) || stored === undefined) {
    sendOutcome(res, outcome);
    return;
  }
  const status = getStatus(outcome);
  res.setHeader('Location', resourceUrl(ctx, stored, true));
  setVersionHeaders(res, stored);
  const minimal = /\breturn=minimal\b/.test(req.get('prefer') ?? '');
  const hideExisting = status === 200 && !grantCanRead(grant, stored);
  sendFhir(res, status, minimal || hideExisting ? undefined : stored);
}
