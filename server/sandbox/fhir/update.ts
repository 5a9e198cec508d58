import { isDeepStrictEqual } from 'node:util';
import { isOk } from '@medplum/core';
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import type { FhirSiteContext } from '../context';
import { fhirError } from '../errors';
import { canSee, decideAccess } from './access';
import { grantOf } from './bearer';
import { resourceFrom, sendRefusal } from './create';
import { callRouter, sendFhir, sendOutcome, setVersionHeaders } from './respond';
import type { WriteRefusal } from './vendor-rules';
import { answersWithBody, vendorWriteFor } from './vendor-write';
import type { VendorWrite } from './vendor-write';

/**
 * `PUT /fhir/DocumentReference/:id`, for corrections only: a filed note is never edited, it is marked
 * entered-in-error and a replacement is filed (`relatesTo: replaces`). US Core 9 "Writing Clinical Notes" allows the
 * correction as a partial PUT (`id`, `status`, `subject`); Oracle documents the same with `If-Match`
 * (research `ehr-writeback.md` §2.1 and §3.2). So only the entered-in-error change is applied; `subject` and
 * `context.encounter`, when sent, must match the filed note ("the patient and encounter must match the original");
 * every other element sent is ignored and the note stays as filed.
 */

const ENTERED_IN_ERROR = 'entered-in-error';

function refuse(field: string, why: string): WriteRefusal {
  return { status: 422, issueCode: 'business-rule', field, why };
}

/** What the correction changes, or why it is refused. */
function correctionOf(body: DocumentReference, stored: DocumentReference, behaviour: VendorWrite): DocumentReference | WriteRefusal {
  const marks = behaviour.correctable.filter((field) => body[field] === ENTERED_IN_ERROR);
  if (marks.length === 0) {
    const fields = behaviour.correctable.join(' or ');
    return refuse(behaviour.correctable[0] ?? 'status', `must set ${fields} to "entered-in-error": a filed note is corrected by a replacement, not edited`);
  }
  if (body.subject !== undefined && body.subject.reference !== stored.subject?.reference) {
    return refuse('subject', 'must match the filed note');
  }
  const encounter = body.context?.encounter;
  if (encounter !== undefined && !isDeepStrictEqual(encounter, stored.context?.encounter)) {
    return refuse('context.encounter', 'must match the filed note');
  }
  const corrected: DocumentReference = { ...stored };
  for (const field of marks) {
    corrected[field] = ENTERED_IN_ERROR;
  }
  return corrected;
}

/** `If-Match: W/"<versionId>"`: required by Oracle; a stale one is 412 (FHIR) or 409 (Oracle). */
function checkVersion(req: Request, stored: Resource, behaviour: VendorWrite): void {
  const ifMatch = req.get('if-match');
  if (ifMatch === undefined) {
    if (behaviour.ifMatch === 'required') {
      throw fhirError('bad_request', 'If-Match with the version being corrected is required.', 'required');
    }
    return;
  }
  const version = /^(?:W\/)?"([^"]{1,64})"$/.exec(ifMatch.trim())?.[1];
  if (version !== stored.meta?.versionId) {
    const code = behaviour.staleStatus === 409 ? 'conflict' : 'bad_request';
    throw fhirError(code, 'The note has changed since that version: read it again.', 'conflict', behaviour.staleStatus);
  }
}

async function readStored(ctx: FhirSiteContext, type: string, id: string): Promise<DocumentReference> {
  const [outcome, stored] = await callRouter(ctx, 'GET', `${type}/${id}`);
  if (!isOk(outcome) || stored?.resourceType !== 'DocumentReference') {
    throw fhirError('not_found', `There is no ${type} ${id}.`, 'not-found');
  }
  return stored;
}

function sendUpdated(req: Request, res: Response, behaviour: VendorWrite, updated: Resource): void {
  if (behaviour.etag) {
    setVersionHeaders(res, updated);
  }
  if (answersWithBody(behaviour, req.get('prefer'))) {
    sendFhir(res, 200, updated);
  } else {
    res.status(200).end();
  }
}

/** The correction: scopes (Oracle also needs read), the note's patient, its version, then the status change. */
export async function handleUpdate(ctx: FhirSiteContext, req: Request, res: Response): Promise<void> {
  const { type, id } = req.params as { type: string; id: string };
  if (type !== 'DocumentReference') {
    throw fhirError('bad_request', 'Only DocumentReference corrections are supported.', 'not-supported', 405);
  }
  const grant = grantOf(res);
  const behaviour = vendorWriteFor(ctx, type);
  const access = decideAccess(grant, type, 'update');
  if (behaviour.ifMatch === 'required') {
    decideAccess(grant, type, 'read');
  }
  const body = resourceFrom(req, type) as DocumentReference;
  if ((req.body as Resource).id !== id) {
    throw fhirError('bad_request', 'The body must carry the id of the note in the URL.', 'invalid');
  }
  const stored = await readStored(ctx, type, id);
  if (!canSee(stored, access)) {
    throw fhirError('forbidden', `With patient scopes, only the patient in context's ${type} can be corrected.`, 'forbidden');
  }
  checkVersion(req, stored, behaviour);
  const corrected = correctionOf(body, stored, behaviour);
  if ('why' in corrected) {
    sendRefusal(res, type, corrected);
    return;
  }
  const [outcome, updated] = await callRouter(ctx, 'PUT', `${type}/${id}`, corrected);
  if (!isOk(outcome) || updated === undefined) {
    sendOutcome(res, outcome);
    return;
  }
  sendUpdated(req, res, behaviour, updated);
}
