/**
 * The gate every note passes before it may be sent: FHIR R4 structure first (`@medplum/core` `validateResource`,
 * which checks types, cardinality, formats and invariants but not required code values), then the rules common to
 * all profiles (`rules.ts`), then the EHR's own (`epic.ts`, `oracle.ts`, `us-core.ts`). The first violation is
 * reported, naming the element, so a site's analyst can tell which configuration to fix.
 */
import type * as MedplumCore from '@medplum/core';
import type { DocumentReference } from 'fhir/r4';
import { AppError } from '../../server/errors';
import type * as FhirDefinitions from '../fhir-definitions';
import { profileSpec } from './profiles';
import { commonViolation } from './rules';
import type { Violation, WriteProfile } from './types';

/**
 * Inline attachments up to 5 MiB: US Core 9 "Writing Clinical Notes" says servers SHALL accept at least that
 * (research `ehr-writeback.md` §3.2). Medplum's own default is 1 MiB, which a rendered PDF can exceed.
 */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

type MedplumResource = Parameters<typeof MedplumCore.validateResource>[0];

let core: typeof MedplumCore | undefined;

/**
 * Medplum's validator and the DocumentReference definitions, loaded at the first validation rather than at boot:
 * they are the app's largest dependency and most processes (the CLI, a server that never files) never need them.
 * A synchronous `require` keeps `validateForProfile` synchronous for its callers.
 */
function medplumCore(): typeof MedplumCore {
  if (core === undefined) {
    /* eslint-disable @typescript-eslint/no-require-imports -- deliberately lazy, see above */
    const definitions = require('../fhir-definitions') as typeof FhirDefinitions;
    const loaded = require('@medplum/core') as typeof MedplumCore;
    /* eslint-enable @typescript-eslint/no-require-imports */
    definitions.loadStructureDefinitions(['DocumentReference']);
    core = loaded;
  }
  return core;
}

/**
 * The attachments' `data`, checked here (size, then base64) rather than by Medplum's regular expression, whose
 * backtracking can exhaust the stack on a multi-megabyte string; Medplum then sees a stand-in of one byte.
 */
function attachmentViolation(resource: DocumentReference): Violation | undefined {
  for (const [index, content] of (resource.content ?? []).entries()) {
    const data = content.attachment.data;
    if (data === undefined) {
      continue;
    }
    const field = `content[${index}].attachment.data`;
    // Decoded once; standard base64 is what encodes back to the same text (linear in the size, whatever the content).
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > MAX_ATTACHMENT_BYTES) {
      return { field, why: `is larger than ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MiB` };
    }
    if (bytes.toString('base64') !== data) {
      return { field, why: 'is not valid base64' };
    }
  }
  return undefined;
}

function withStandInData(resource: DocumentReference): DocumentReference {
  return {
    ...resource,
    content: resource.content.map((content) => (content.attachment.data === undefined ? content : { ...content, attachment: { ...content.attachment, data: 'AA==' } })),
  };
}

/** Medplum's first error, as a violation. Its messages name elements and formats, never values. */
function structuralViolation(resource: DocumentReference): Violation | undefined {
  const { OperationOutcomeError, validateResource } = medplumCore();
  const attachment = attachmentViolation(resource);
  if (attachment !== undefined) {
    return attachment;
  }
  try {
    validateResource(withStandInData(resource) as MedplumResource);
    return undefined;
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) {
      throw error;
    }
    const issue = error.outcome.issue?.find((i) => i.severity === 'error' || i.severity === 'fatal') ?? error.outcome.issue?.[0];
    const field = (issue?.expression?.[0] ?? 'DocumentReference').replace(/^DocumentReference\.?/, '') || 'resource';
    return { field, why: `is not valid FHIR R4 (${issue?.details?.text ?? 'structure'})` };
  }
}

/**
 * Checks a DocumentReference against one EHR's write profile.
 * @throws AppError `unprocessable` "The note for <EHR> is not valid: <field> <why>" with `details.field`.
 */
export function validateForProfile(profile: WriteProfile, resource: DocumentReference): void {
  const spec = profileSpec(profile);
  if (spec === undefined) {
    throw new AppError('unprocessable', 'The note cannot be checked: the EHR write profile is not known.', {
      details: { field: 'profile' },
    });
  }
  const violation = structuralViolation(resource) ?? commonViolation(resource, spec) ?? spec.check(resource);
  if (violation !== undefined) {
    throw new AppError('unprocessable', `The note for ${spec.ehrName} is not valid: ${violation.field} ${violation.why}`, {
      details: { field: violation.field, profile },
    });
  }
}
