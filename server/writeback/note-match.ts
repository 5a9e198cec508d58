/**
 * Is this DocumentReference from the chart the note the app sent? Pure comparisons used after a create (read-back,
 * step 4) and when reconciling an unknown outcome (a search of the chart, step 3).
 *
 * The evidence, strongest first: our identifier (`urn:uuid:<discussion id>`) where the server keeps it (Oracle
 * ignores it: research ehr-writeback.md §2.1); the bytes themselves (SHA-1 of the decoded `data`, FHIR R4
 * `Attachment.hash`, https://hl7.org/fhir/R4/datatypes.html#Attachment); the attachment's `hash` or `size` where the
 * server returns no data; and the discussion id printed in the note's "RECORD DETAILS" section.
 */
import type { Attachment, DocumentReference } from 'fhir/r4';
import { sha1Base64, sha256Hex } from '../../fhir-resources/discussion-note';

const URI_SYSTEM = 'urn:ietf:rfc:3986';

export interface SentNote {
  /** The DocumentReference as sent (from the ledger's sealed payload). */
  document: DocumentReference;
  /** SHA-256 of the note text (the ledger's `note_sha256`). */
  noteSha256: string;
  pdfSha256?: string;
  /** `urn:uuid:<discussion id>`. */
  identifier: string;
}

export type ReadbackVerdict = { ok: true; compared: number } | { ok: false; why: string };

const mime = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

function decoded(attachment: Attachment): Buffer | undefined {
  return typeof attachment.data === 'string' && attachment.data !== '' ? Buffer.from(attachment.data, 'base64') : undefined;
}

export function hasIdentifier(document: DocumentReference, identifier: string): boolean {
  return (document.identifier ?? []).some((i) => i.system === URI_SYSTEM && i.value === identifier);
}

/** The SHA-256 the bytes of this kind of attachment must have. */
function expectedSha256(sent: SentNote, contentType: string): string | undefined {
  if (contentType === 'application/pdf') {
    return sent.pdfSha256;
  }
  return contentType.startsWith('text/') ? sent.noteSha256 : undefined;
}

/** One returned attachment against the one sent with the same media type; undefined when they agree. */
function attachmentProblem(got: Attachment, sent: SentNote): string | undefined {
  const type = mime(got.contentType);
  const ours = (sent.document.content ?? []).map((c) => c.attachment).find((a) => mime(a.contentType) === type);
  if (ours === undefined) {
    return `the chart holds a ${type || 'untyped'} attachment the app did not send`;
  }
  const bytes = decoded(got);
  if (bytes !== undefined) {
    const sha256 = expectedSha256(sent, type);
    if (sha1Base64(bytes) !== ours.hash || (sha256 !== undefined && sha256Hex(bytes) !== sha256)) {
      return `the ${type} bytes in the chart differ from what was sent`;
    }
    return undefined;
  }
  if (got.hash !== undefined && got.hash !== ours.hash) {
    return `the ${type} hash in the chart differs from what was sent`;
  }
  return got.size !== undefined && got.size !== ours.size ? `the ${type} size in the chart differs from what was sent` : undefined;
}

/** Whether the attachment gave anything to compare (data, hash or size). */
const comparable = (a: Attachment): boolean => decoded(a) !== undefined || a.hash !== undefined || a.size !== undefined;

/**
 * Compares the document read back after a create with what was sent.
 * @param matched - the server answered a conditional create with 200: the note already there was filed earlier
 *   for the same discussion (its bytes may differ, e.g. an earlier PDF), so the identifier is what must agree.
 */
export function compareReadback(got: DocumentReference, sent: SentNote, matched: boolean): ReadbackVerdict {
  if (got.resourceType !== 'DocumentReference') {
    return { ok: false, why: 'the EHR returned something other than a DocumentReference' };
  }
  if (got.status === 'entered-in-error') {
    return { ok: false, why: 'the note in the chart is marked entered-in-error' };
  }
  if (matched) {
    return hasIdentifier(got, sent.identifier) ? { ok: true, compared: 1 } : { ok: false, why: 'the matched note carries another identifier' };
  }
  const attachments = (got.content ?? []).map((c) => c.attachment);
  const noteType = mime(sent.document.content?.[0]?.attachment.contentType);
  if (!attachments.some((a) => mime(a.contentType) === noteType)) {
    return { ok: false, why: 'the note is missing from the document in the chart' };
  }
  for (const attachment of attachments) {
    const problem = attachmentProblem(attachment, sent);
    if (problem !== undefined) {
      return { ok: false, why: problem };
    }
  }
  return { ok: true, compared: attachments.filter(comparable).length };
}

/**
 * Whether a document found by searching the chart is a copy of this note (reconciliation). Documents marked
 * entered-in-error and the ones listed in `excludeIds` (the note a replacement replaces) never count.
 */
export function isCopyOfNote(candidate: DocumentReference, sent: SentNote, excludeIds: readonly string[] = []): boolean {
  if (candidate.status === 'entered-in-error' || (candidate.id !== undefined && excludeIds.includes(candidate.id))) {
    return false;
  }
  if (hasIdentifier(candidate, sent.identifier)) {
    return true;
  }
  const hashes = new Set((sent.document.content ?? []).map((c) => c.attachment.hash).filter((h): h is string => h !== undefined));
  const marker = `Discussion ID: ${sent.identifier}`;
  return (candidate.content ?? []).some(({ attachment }) => {
    const bytes = decoded(attachment);
    if (bytes !== undefined) {
      return hashes.has(sha1Base64(bytes)) || (mime(attachment.contentType).startsWith('text/') && bytes.toString('utf8').includes(marker));
    }
    return attachment.hash !== undefined && hashes.has(attachment.hash);
  });
}
