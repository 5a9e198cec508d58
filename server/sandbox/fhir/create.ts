import { getStatus, isOk, OperationOutcomeError, validateResource } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import type { FhirSiteContext } from '../context';
import { fhirError, operationOutcome } from '../errors';
import { canSee, decideAccess, grantCanRead, patientParamOf } from './access';
import type { Access } from './access';
import { grantOf } from './bearer';
import { callRouter, sendFhir, sendOutcome, setVersionHeaders } from './respond';
import type { WriteRefusal } from './vendor-rules';
import { answersWithBody, vendorWriteFor } from './vendor-write';
import type { VendorWrite } from './vendor-write';

const MAX_CONDITION_LENGTH = 2048;

/** The body as a resource of the URL's type, minus what only the server assigns (id, version, timestamp). */
export function resourceFrom(req: Request, type: string): Resource {
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

/**
 * Inline attachments up to 7 MiB decoded: above US Core 9's "at least 5 MiB" (research `ehr-writeback.md` §3.2) and
 * within the 10 MB body limit once base64-encoded. Medplum's own default (1 MiB) would refuse a rendered PDF.
 */
export const MAX_ATTACHMENT_BYTES = 7 * 1024 * 1024;

/** What is wrong with an attachment's base64 `data`, if anything: decoded once; canonical base64 encodes back to itself. */
function attachmentDataProblem(data: string): string | undefined {
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > MAX_ATTACHMENT_BYTES) {
    return `is larger than ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MiB`;
  }
  return bytes.toString('base64') === data ? undefined : 'is not valid base64';
}

/**
 * A DocumentReference's inline attachments, checked here in linear time (size, then canonical base64) instead of by
 * Medplum's base64 regular expression, whose backtracking can exhaust the stack on a multi-megabyte string (CI saw
 * a RangeError on a 5 MiB PDF once); Medplum then validates the structure with a one-byte stand-in.
 */
function attachmentOutcome(resource: Resource): { outcome: OperationOutcomeError | undefined; standIn: Resource } {
  if (resource.resourceType !== 'DocumentReference') {
    return { outcome: undefined, standIn: resource };
  }
  const content = resource.content ?? [];
  for (const [index, entry] of content.entries()) {
    const data = entry.attachment?.data;
    if (typeof data !== 'string') {
      continue;
    }
    const why = attachmentDataProblem(data);
    if (why !== undefined) {
      const expression = `DocumentReference.content[${index}].attachment.data`;
      return { outcome: new OperationOutcomeError(operationOutcome('invalid', `${expression} ${why}.`, expression)), standIn: resource };
    }
  }
  const standIn = { ...resource, content: content.map((entry) => (typeof entry.attachment?.data === 'string' ? { ...entry, attachment: { ...entry.attachment, data: 'AA==' } } : entry)) };
  return { outcome: undefined, standIn };
}

/** Medplum validates nothing on create; a strict EHR does. 400 with the validator's OperationOutcome. */
export function validationOutcome(resource: Resource): OperationOutcomeError | undefined {
  const attachments = attachmentOutcome(resource);
  if (attachments.outcome !== undefined) {
    return attachments.outcome;
  }
  try {
    validateResource(attachments.standIn, { base64BinaryMaxBytes: MAX_ATTACHMENT_BYTES });
    return undefined;
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error;
    }
    throw error;
  }
}

/** A vendor's refusal as the OperationOutcome it answers with, naming the element. */
export function sendRefusal(res: Response, type: string, refusal: WriteRefusal): void {
  const message = `${type}.${refusal.field} ${refusal.why}.`;
  sendFhir(res, refusal.status, operationOutcome(refusal.issueCode, message, `${type}.${refusal.field}`));
}

/** The successful answer, shaped like the vendor's: Location, ETag and body (or not). */
function sendCreated(ctx: FhirSiteContext, req: Request, res: Response, behaviour: VendorWrite, status: number, stored: Resource): void {
  res.setHeader('Location', behaviour.location(ctx, stored));
  if (behaviour.etag) {
    setVersionHeaders(res, stored);
  }
  const hideExisting = status === 200 && !grantCanRead(grantOf(res), stored);
  if (!answersWithBody(behaviour, req.get('prefer')) || hideExisting) {
    res.status(status).end();
    return;
  }
  sendFhir(res, status, stored);
}

/** Structure, patient and vendor checks. Returns false when it has already answered with the refusal. */
async function acceptable(ctx: FhirSiteContext, res: Response, resource: Resource, access: Access): Promise<boolean> {
  const type = resource.resourceType;
  const invalid = validationOutcome(resource);
  if (invalid !== undefined) {
    sendFhir(res, 400, invalid.outcome);
    return false;
  }
  if (!canSee(resource, access)) {
    throw fhirError('forbidden', `With patient scopes, a new ${type} must be about the patient in context.`, 'forbidden');
  }
  if (resource.resourceType !== 'DocumentReference') {
    return true;
  }
  const grant = grantOf(res);
  const refusal = await vendorWriteFor(ctx, type).refusal(ctx, resource, grant);
  if (refusal !== undefined) {
    sendRefusal(res, type, refusal);
    return false;
  }
  return true;
}

/**
 * `POST /fhir/:type`: validation, scope and patient checks, the vendor's rules, conditional create where the vendor
 * honours it, and the vendor's answer (`Location`, `ETag`, body).
 */
export async function handleCreate(ctx: FhirSiteContext, req: Request, res: Response): Promise<void> {
  const type = req.params.type as string;
  const grant = grantOf(res);
  const access = decideAccess(grant, type, 'create');
  const resource = resourceFrom(req, type);
  if (!(await acceptable(ctx, res, resource, access))) {
    return;
  }
  const behaviour = vendorWriteFor(ctx, type);
  const toStore = resource.resourceType === 'DocumentReference' ? behaviour.storedShape(ctx, resource) : resource;
  const condition = behaviour.conditionalCreate ? conditionHeader(req, type, access) : {};
  const [outcome, stored] = await callRouter(ctx, 'POST', type, toStore, condition);
  if (!isOk(outcome) || stored === undefined) {
    sendOutcome(res, outcome);
    return;
  }
  sendCreated(ctx, req, res, behaviour, getStatus(outcome), stored);
}
