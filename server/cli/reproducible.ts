/**
 * What makes the render command's output repeat byte for byte for a fixed `--date`: a discussion id derived from
 * its inputs, and a PDF whose only clock-dependent bytes are set from the discussion time (`printHandoutPdf`, the
 * same on every print path). Then the note, which records the PDF's SHA-256, and the DocumentReferences repeat too.
 */
import crypto from 'node:crypto';

/** This app's namespace for name-based UUIDs (a fixed random UUID; changing it changes every derived id). */
export const DISCUSSION_ID_NAMESPACE = 'a096dc11-7466-4cb9-a516-4eac79071113';

/**
 * A name-based UUID, version 5 (SHA-1), per RFC 9562 §5.5: the namespace's 16 bytes and the name's UTF-8 bytes
 * hashed, the first 16 bytes kept, with the version and variant bits set.
 * @see https://www.rfc-editor.org/rfc/rfc9562#section-5.5
 */
export function uuidV5(namespace: string, name: string): string {
  const hash = crypto.createHash('sha1').update(Buffer.from(namespace.replaceAll('-', ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface DiscussionIdInputs {
  /** The bundle as read (parsed JSON: key order kept, whitespace not). */
  bundle: unknown;
  /** The clinician's answers as validated. */
  answers: unknown;
  attestedAt: string;
  clinicianReference: string;
}

/** The default discussion id: the same bundle, answers, time and clinician give the same id, on any machine. */
export function derivedDiscussionId(inputs: DiscussionIdInputs): string {
  const digest = (value: unknown): string => crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex');
  const name = JSON.stringify([digest(inputs.bundle), digest(inputs.answers), inputs.attestedAt, inputs.clinicianReference]);
  return uuidV5(DISCUSSION_ID_NAMESPACE, name);
}
