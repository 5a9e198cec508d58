import { isOk } from '@medplum/core';
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { FhirSiteContext } from '../context';
import type { Grant, SandboxVendor } from '../types';
import { callRouter, resourceUrl } from './respond';
import { epicRefusal, oracleRefusal, oracleStoredShape } from './vendor-rules';
import type { WriteRefusal } from './vendor-rules';

/**
 * How each kind of EHR takes a DocumentReference write (ARCHITECTURE §5, research `ehr-writeback.md` §0):
 * what it refuses, what it stores, whether it honours `If-None-Exist`, and how it answers.
 * Other resource types are always written the generic way.
 */
export interface VendorWrite {
  /** FHIR conditional create. Epic: `conditionalCreate: false` [V], Oracle: undocumented and `identifier` ignored. */
  conditionalCreate: boolean;
  refusal(ctx: FhirSiteContext, doc: DocumentReference, grant: Grant): Promise<WriteRefusal | undefined>;
  /** What the EHR keeps of the body. */
  storedShape(ctx: FhirSiteContext, doc: DocumentReference): DocumentReference;
  /**
   * The body of a successful create or update: the resource (unless `Prefer: return=minimal`), only on
   * `Prefer: return=representation` (Epic [S]), or never (Oracle's documented `Content-Length: 0` [V]).
   */
  body: 'resource' | 'on-request' | 'never';
  /** The create's `Location` header. */
  location(ctx: FhirSiteContext, stored: Resource): string;
  etag: boolean;
  /** Corrections (`PUT` to entered-in-error): whether `If-Match` is required, and the status of a stale one. */
  ifMatch: 'optional' | 'required';
  staleStatus: 409 | 412;
  /** Which elements a correction may set to `entered-in-error`. */
  correctable: readonly ('status' | 'docStatus')[];
}

const FHIR_ID = /^Encounter\/[A-Za-z0-9\-.]{1,64}$/;

/** Epic [S]: `context.encounter` "must be an existing encounter of the same patient". */
async function epicEncounterRefusal(ctx: FhirSiteContext, doc: DocumentReference): Promise<WriteRefusal | undefined> {
  const reference = doc.context?.encounter?.[0]?.reference ?? '';
  if (FHIR_ID.test(reference)) {
    const [outcome, encounter] = await callRouter(ctx, 'GET', reference);
    if (isOk(outcome) && encounter?.resourceType === 'Encounter' && encounter.subject?.reference === doc.subject?.reference) {
      return undefined;
    }
  }
  return { status: 400, issueCode: 'business-rule', field: 'context.encounter', why: 'must be an existing encounter of the same patient' };
}

const GENERIC: VendorWrite = {
  conditionalCreate: true,
  refusal: () => Promise.resolve(undefined),
  storedShape: (_ctx, doc) => doc,
  body: 'resource',
  location: (ctx, stored) => resourceUrl(ctx, stored, true),
  etag: true,
  ifMatch: 'optional',
  staleStatus: 412,
  correctable: ['status'],
};

/**
 * Epic 1046 [S]: no duplicate protection, 201 with an empty body and a relative `Location: DocumentReference/<id>`,
 * no ETag. `update` is in Epic's CapabilityStatement but its rules are unverified: it is served like the generic one.
 */
const EPIC: VendorWrite = {
  conditionalCreate: false,
  refusal: async (ctx, doc, grant) => epicRefusal(doc, { user: grant.context.user }) ?? (await epicEncounterRefusal(ctx, doc)),
  storedShape: (_ctx, doc) => doc,
  body: 'on-request',
  location: (_ctx, stored) => `${stored.resourceType}/${stored.id ?? ''}`,
  etag: false,
  ifMatch: 'optional',
  staleStatus: 412,
  correctable: ['status'],
};

/**
 * Oracle [V]: 201, `Content-Length: 0`, absolute `Location: <base>/DocumentReference/<id>`, `Etag: W/"<version>"`.
 * Update [V]: `PUT` with `If-Match` may set `status` and/or `docStatus` to entered-in-error, with both read and write
 * scopes; a stale version is 409 (Oracle's documented code, where FHIR says 412).
 */
const ORACLE: VendorWrite = {
  conditionalCreate: false,
  refusal: (_ctx, doc, grant) => Promise.resolve(oracleRefusal(doc, { user: grant.context.user })),
  storedShape: (ctx, doc) => oracleStoredShape(doc, new Date(ctx.clock()).toISOString()),
  body: 'never',
  location: (ctx, stored) => resourceUrl(ctx, stored),
  etag: true,
  ifMatch: 'required',
  staleStatus: 409,
  correctable: ['status', 'docStatus'],
};

const BY_VENDOR: Readonly<Record<SandboxVendor, VendorWrite>> = { generic: GENERIC, epic: EPIC, oracle: ORACLE };

/**
 * The write behaviour for a resource type: for DocumentReference, that of the vendor whose FHIR base the request came
 * in on; other types are written the generic way.
 */
export function vendorWriteFor(ctx: FhirSiteContext, resourceType: string): VendorWrite {
  return resourceType === 'DocumentReference' ? BY_VENDOR[ctx.vendor] : GENERIC;
}

/** Whether the successful answer carries the resource, given the vendor and the request's `Prefer` header. */
export function answersWithBody(behaviour: VendorWrite, prefer: string | undefined): boolean {
  if (behaviour.body === 'never') {
    return false;
  }
  if (behaviour.body === 'on-request') {
    return /\breturn=representation\b/i.test(prefer ?? '');
  }
  return !/\breturn=minimal\b/i.test(prefer ?? '');
}
