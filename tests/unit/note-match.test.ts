import type { DocumentReference } from 'fhir/r4';
import { renderDiscussionNote, sha256Hex } from '../../fhir-resources/discussion-note';
import { buildDocumentReference } from '../../fhir-resources/document-reference';
import { EXAMPLE_DISCUSSION_ID, exampleDiscussionNoteInput, exampleDocumentReferenceInput, EXAMPLE_PDF } from '../support/example-discussion';
import type { SentNote } from '../../server/writeback/note-match';
import { compareReadback, isCopyOfNote } from '../../server/writeback/note-match';
import { copiesAmong, reconcileSearchParams } from '../../server/writeback/reconcile';

/**
 * Recognising the app's own note in the chart: after a create (read-back) and when an outcome is unknown
 * (reconciliation) — by identifier where the EHR keeps it, by the bytes where it does not (Oracle), never a
 * retracted copy, never a look-alike.
 */
const NOTE = renderDiscussionNote(exampleDiscussionNoteInput());
const IDENTIFIER = `urn:uuid:${EXAMPLE_DISCUSSION_ID}`;

function sentFor(profile: 'us-core' | 'epic' | 'oracle'): SentNote {
  const input = exampleDocumentReferenceInput(NOTE);
  const document = buildDocumentReference(profile, profile === 'us-core' ? input : { ...input, pdf: undefined });
  return { document, noteSha256: sha256Hex(NOTE), identifier: IDENTIFIER, ...(profile === 'us-core' ? { pdfSha256: sha256Hex(EXAMPLE_PDF) } : {}) };
}

/** The chart's copy as Oracle keeps it: no identifier, no hash, no size (research ehr-writeback.md §2.1). */
function asOracleStores(document: DocumentReference, id: string): DocumentReference {
  const copy: DocumentReference = { ...document, id, content: document.content.map((c) => ({ attachment: { contentType: c.attachment.contentType, data: c.attachment.data } })) };
  delete copy.identifier;
  return copy;
}

function withText(document: DocumentReference, text: string): DocumentReference {
  const bytes = Buffer.from(text, 'utf8');
  return { ...document, content: [{ attachment: { ...document.content[0].attachment, data: bytes.toString('base64') } }] };
}

describe('compareReadback', () => {
  test.each(['us-core', 'epic', 'oracle'] as const)('the %s note read back as sent is confirmed, every attachment compared', (profile) => {
    const sent = sentFor(profile);
    expect(compareReadback({ ...sent.document, id: 'd1' }, sent, false)).toEqual({ ok: true, compared: sent.document.content.length });
  });

  test('Oracle keeps no hash or size: the bytes themselves are compared', () => {
    const sent = sentFor('oracle');
    expect(compareReadback(asOracleStores(sent.document, 'd1'), sent, false)).toEqual({ ok: true, compared: 1 });
  });

  test('one changed character in the chart fails the check', () => {
    const sent = sentFor('epic');
    const verdict = compareReadback(withText(sent.document, NOTE.replace('Teach-back', 'Teach-bask')), sent, false);
    expect(verdict).toEqual({ ok: false, why: 'the text/plain bytes in the chart differ from what was sent' });
  });

  test('a hash or size that disagrees fails the check when no bytes come back', () => {
    const sent = sentFor('epic');
    const attachment = sent.document.content[0].attachment;
    const noData = (extra: object): DocumentReference => ({ ...sent.document, content: [{ attachment: { contentType: attachment.contentType, ...extra } }] });
    expect(compareReadback(noData({ hash: attachment.hash }), sent, false)).toEqual({ ok: true, compared: 1 });
    expect(compareReadback(noData({ hash: 'AAAA' }), sent, false).ok).toBe(false);
    expect(compareReadback(noData({ size: 3 }), sent, false).ok).toBe(false);
  });

  test('a missing note, an extra attachment, or a retracted document fails the check', () => {
    const sent = sentFor('us-core');
    expect(compareReadback({ ...sent.document, content: [sent.document.content[1]] }, sent, false).ok).toBe(false);
    const html = { attachment: { contentType: 'text/html', data: Buffer.from('<p>x</p>').toString('base64') } };
    expect(compareReadback({ ...sent.document, content: [...sent.document.content, html] }, sent, false).ok).toBe(false);
    expect(compareReadback({ ...sent.document, status: 'entered-in-error' }, sent, false).ok).toBe(false);
  });

  test('a conditional-create match is confirmed by its identifier, not its bytes (an earlier build of the note)', () => {
    const sent = sentFor('us-core');
    const earlier = withText(sent.document, `${NOTE}\nolder copy`);
    expect(compareReadback(earlier, sent, true)).toEqual({ ok: true, compared: 1 });
    expect(compareReadback({ ...earlier, identifier: [] }, sent, true).ok).toBe(false);
  });
});

describe('isCopyOfNote and the reconcile search', () => {
  const sent = sentFor('oracle');

  test('found by identifier, by the bytes (identifier stripped), or by the discussion id in the text', () => {
    expect(isCopyOfNote({ ...sent.document, id: 'a', content: [] }, sent)).toBe(true);
    expect(isCopyOfNote(asOracleStores(sent.document, 'b'), sent)).toBe(true);
    const reformatted = asOracleStores(withText(sent.document, `Re-wrapped by the EHR\nDiscussion ID: ${IDENTIFIER}\n`), 'c');
    expect(isCopyOfNote(reformatted, sent)).toBe(true);
  });

  test('another note of the same patient is not a copy; nor is a retracted copy or the note being replaced', () => {
    const other = asOracleStores(withText(sent.document, 'Discussion ID: urn:uuid:00000000-0000-4000-8000-000000000000\n'), 'x');
    expect(isCopyOfNote(other, sent)).toBe(false);
    expect(isCopyOfNote({ ...asOracleStores(sent.document, 'y'), status: 'entered-in-error' }, sent)).toBe(false);
    expect(isCopyOfNote(asOracleStores(sent.document, 'old'), sent, ['old'])).toBe(false);
  });

  test('copiesAmong counts each document once', () => {
    const copy = asOracleStores(sent.document, 'c1');
    expect(copiesAmong([copy, copy, asOracleStores(sent.document, 'c2')], sent, [])).toEqual(['c1', 'c2']);
  });

  test('the search: patient, encounter, type, from 5 minutes before the earliest of recording, sending and the note date; identifier only where kept', () => {
    const createdAt = new Date('2026-11-24T14:40:00Z');
    const target = { patientId: 'anticoagulant-patient', encounterId: 'anticoagulant-encounter', profile: 'oracle' as const, createdAt, sentAt: new Date('2026-11-24T14:45:00Z'), excludeIds: [] };
    expect(reconcileSearchParams(target, sent)).toEqual({
      patient: 'anticoagulant-patient',
      encounter: 'anticoagulant-encounter',
      type: 'http://loinc.org|11506-3',
      // the note's own date (09:37:12-05:00 = 14:37:12Z) is the earliest of the three
      date: 'ge2026-11-24T14:32:12.000Z',
      _count: '100',
    });
    expect(reconcileSearchParams({ ...target, profile: 'us-core' }, sentFor('us-core')).identifier).toBe(`urn:ietf:rfc:3986|${IDENTIFIER}`);
  });
});
