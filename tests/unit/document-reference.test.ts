/**
 * The DocumentReference builders for the three write profiles: each output has the shape its EHR accepts
 * (shared research `ehr-writeback.md`), passes FHIR R4 structure and the profile's own rules, carries attachment
 * bytes whose size and SHA-1 are right, and every rule broken on purpose is refused with the element named.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { validateResource } from '@medplum/core';
import type { DocumentReference } from 'fhir/r4';
import { renderDiscussionNote } from '../../fhir-resources/discussion-note';
import type { DocumentReferenceInput, SiteNoteSettings, WriteProfile } from '../../fhir-resources/document-reference';
import { buildDocumentReference, validateForProfile, WRITE_PROFILES } from '../../fhir-resources/document-reference';
import { isLoincCode } from '../../fhir-resources/document-reference/rules';
import {
  EXAMPLE_PDF,
  EXAMPLES_DIR,
  exampleDiscussionNoteInput,
  exampleDocumentReferenceInput,
} from '../support/example-discussion';
import { loadFhirDefinitions } from '../../fhir-resources/fhir-definitions';
import { AppError } from '../../server/errors';

const NOTE_TEXT = renderDiscussionNote(exampleDiscussionNoteInput());
const CATEGORY = { coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note' }] };
const COMMON_SHAPE = {
  resourceType: 'DocumentReference',
  status: 'current',
  identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:uuid:3f0c1a52-8d5e-4b7a-9c21-6e4f0b9d2a17' }],
  category: [CATEGORY],
  subject: { reference: 'Patient/anticoagulant-patient' },
  author: [{ reference: 'Practitioner/itdd-dr-rivera' }],
  date: '2026-11-24T09:37:12-05:00',
  context: {
    encounter: [{ reference: 'Encounter/anticoagulant-encounter' }],
    period: { start: '2026-11-24T09:05:00-05:00', end: '2026-11-24T09:35:00-05:00' },
  },
};

function input(change: (i: DocumentReferenceInput) => void = () => undefined): DocumentReferenceInput {
  const value = exampleDocumentReferenceInput(NOTE_TEXT);
  change(value);
  return value;
}

function build(profile: WriteProfile, change?: (i: DocumentReferenceInput) => void, site?: SiteNoteSettings): DocumentReference {
  return buildDocumentReference(profile, input(change), site);
}

function errorOf(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected an AppError');
}

function attachmentBytes(resource: DocumentReference, index: number): Buffer {
  return Buffer.from(resource.content[index]?.attachment.data ?? '', 'base64');
}

describe.each(WRITE_PROFILES)('profile %s', (profile) => {
  const resource = build(profile);
  const exampleFile = path.join(EXAMPLES_DIR, `document-reference.${profile}.example.json`);

  test('equals the committed example for the fixed input', () => {
    if (process.env.UPDATE_EXAMPLES === '1') {
      fs.writeFileSync(exampleFile, `${JSON.stringify(resource, null, 2)}\n`, 'utf8');
    }
    expect(resource).toEqual(JSON.parse(fs.readFileSync(exampleFile, 'utf8')));
  });

  test('passes FHIR R4 structural validation and its own profile', () => {
    loadFhirDefinitions();
    expect(() => validateResource(resource as Parameters<typeof validateResource>[0], { base64BinaryMaxBytes: 5 * 1024 * 1024 })).not.toThrow();
    expect(() => validateForProfile(profile, resource)).not.toThrow();
  });

  test('has the fields every profile shares', () => {
    expect(resource).toMatchObject(COMMON_SHAPE);
    expect(resource.type?.text).toBe('Intrathecal drug pump: education and consent discussion');
  });

  test('carries attachment size and hash computed from the raw bytes', () => {
    resource.content.forEach((entry, index) => {
      const bytes = attachmentBytes(resource, index);
      expect(entry.attachment.size).toBe(bytes.length);
      expect(entry.attachment.hash).toBe(crypto.createHash('sha1').update(bytes).digest('base64'));
    });
  });

  test('builds a new object each time (nothing shared that a caller could corrupt)', () => {
    const first = build(profile);
    first.category?.[0]?.coding?.splice(0);
    expect(build(profile).category).toMatchObject([CATEGORY]);
  });
});

describe('us-core (generic server, sandbox)', () => {
  test('files the note text then the PDF, final, typed LOINC 34895-3 Education note', () => {
    const resource = build('us-core');
    expect(resource).toMatchObject({
      docStatus: 'final',
      type: { coding: [{ system: 'http://loinc.org', code: '34895-3', display: 'Education note' }] },
      content: [
        { attachment: { contentType: 'text/plain;charset=utf-8', language: 'en', title: 'Intrathecal drug pump: education and consent discussion note' } },
        { attachment: { contentType: 'application/pdf', language: 'en', creation: '2026-11-24T09:20:00-05:00' } },
      ],
    });
    expect(attachmentBytes(resource, 0).toString('utf8')).toBe(NOTE_TEXT);
    expect(attachmentBytes(resource, 1).equals(EXAMPLE_PDF)).toBe(true);
  });

  test('counts bytes, not characters, for a non-ASCII note', () => {
    const resource = build('us-core', (i) => (i.noteText = 'Ñúñez فاطمة\n'));
    expect(resource.content[0]?.attachment.size).toBe(Buffer.byteLength('Ñúñez فاطمة\n', 'utf8'));
    expect(resource.content[0]?.attachment.size).not.toBe('Ñúñez فاطمة\n'.length);
  });

  test('takes the site note type and docStatus', () => {
    const resource = build('us-core', undefined, { typeCoding: { system: 'http://loinc.org', code: '11506-3' }, docStatus: 'preliminary' });
    expect(resource).toMatchObject({ docStatus: 'preliminary', type: { coding: [{ code: '11506-3' }] } });
  });
});

describe('epic (DocumentReference.Create, Clinical Notes)', () => {
  test('files one text/plain attachment, preliminary, typed LOINC 11506-3, against the encounter', () => {
    const resource = build('epic');
    expect(resource).toMatchObject({
      docStatus: 'preliminary',
      type: { coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }] },
      context: { encounter: [{ reference: 'Encounter/anticoagulant-encounter' }] },
      author: [{ reference: 'Practitioner/itdd-dr-rivera' }],
    });
    expect(resource.content).toHaveLength(1);
    expect(resource.content[0]?.attachment.contentType).toBe('text/plain');
    expect(attachmentBytes(resource, 0).toString('utf8')).toBe(NOTE_TEXT);
  });

  test('files final and an organisation note-type OID when the site says so', () => {
    const site: SiteNoteSettings = { docStatus: 'final', typeCoding: { system: 'urn:oid:1.2.840.114350.1.13.0.1.7.4.737880.5010', code: '1' } };
    expect(build('epic', undefined, site)).toMatchObject({ docStatus: 'final', type: { coding: [site.typeCoding] } });
  });

  test('refuses a note without an encounter', () => {
    const error = errorOf(() => build('epic', (i) => delete i.encounterId));
    expect(error).toMatchObject({ code: 'unprocessable', status: 422, details: { field: 'context.encounter', profile: 'epic' } });
    expect(error.message).toMatch(/^The note for Epic is not valid: context\.encounter is required/);
  });
});

describe('oracle (Millennium provider access)', () => {
  test('files exactly one content, the PDF, final, with a timed period end and one Practitioner author', () => {
    const resource = build('oracle');
    expect(resource).toMatchObject({
      docStatus: 'final',
      type: { coding: [{ system: 'http://loinc.org', code: '11506-3' }] },
      author: [{ reference: 'Practitioner/itdd-dr-rivera' }],
      content: [{ attachment: { contentType: 'application/pdf' } }],
    });
    expect(resource.content).toHaveLength(1);
    expect(resource.author).toHaveLength(1);
    expect(resource.context?.period?.end).toMatch(/T\d{2}:\d{2}/);
  });

  test('files the note text as text/plain;charset=utf-8 when there is no PDF', () => {
    const resource = build('oracle', (i) => delete i.pdf);
    expect(resource.content).toHaveLength(1);
    expect(resource.content[0]?.attachment.contentType).toBe('text/plain;charset=utf-8');
    expect(attachmentBytes(resource, 0).toString('utf8')).toBe(NOTE_TEXT);
  });

  test('takes a single site code set 72 coding instead of LOINC', () => {
    const coding = { system: 'https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/72', code: '2820507' };
    expect(build('oracle', undefined, { typeCoding: coding }).type?.coding).toEqual([coding]);
  });

  test.each<[string, (r: DocumentReference) => void]>([
    ['content', (r) => r.content.push(structuredClone(r.content[0]))],
    ['author', (r) => r.author?.push({ reference: 'Practitioner/itdd-dr-chen' })],
    ['author', (r) => (r.author = [{ reference: 'PractitionerRole/itdd-role-dr-rivera' }])],
    ['context.period.end', (r) => (r.context!.period!.end = '2026-11-25')],
    ['context.period.start', (r) => (r.context!.period!.start = '2026-11-24')],
    ['content[0].attachment.creation', (r) => (r.content[0].attachment.creation = '2026-11-24')],
    ['type.coding', (r) => r.type?.coding?.push({ system: 'https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/72', code: '1' })],
  ])('refuses a note that breaks an Oracle rule: %s', (field, breakIt) => {
    const resource = build('oracle');
    breakIt(resource);
    const error = errorOf(() => validateForProfile('oracle', resource));
    expect(error.details).toEqual({ field, profile: 'oracle' });
    expect(error.message).toContain(`The note for Oracle Health is not valid: ${field} `);
  });

  test('refuses docStatus preliminary (provider access accepts final only)', () => {
    const error = errorOf(() => build('oracle', undefined, { docStatus: 'preliminary' }));
    expect(error.details).toEqual({ field: 'docStatus', profile: 'oracle' });
  });
});

describe('rules every profile enforces', () => {
  test.each<[string, string, (r: DocumentReference) => void]>([
    ['status', 'status', (r) => (r.status = 'superseded')],
    ['docStatus', 'docStatus', (r) => (r.docStatus = 'amended')],
    ['category', 'category', (r) => delete r.category],
    ['LOINC check digit', 'type.coding', (r) => (r.type!.coding = [{ system: 'http://loinc.org', code: '34895-4' }])],
    ['type text', 'type.text', (r) => delete r.type!.text],
    ['absolute subject', 'subject', (r) => (r.subject = { reference: 'https://ehr.example/Patient/1' })],
    ['author missing', 'author', (r) => delete r.author],
    ['identifier', 'identifier', (r) => (r.identifier = [{ system: 'urn:ietf:rfc:3986', value: 'urn:uuid:nope' }])],
    ['two encounters', 'context.encounter', (r) => r.context?.encounter?.push({ reference: 'Encounter/other' })],
    ['period reversed', 'context.period', (r) => (r.context!.period = { start: '2026-11-24T10:00:00Z', end: '2026-11-24T09:00:00Z' })],
    ['content type', 'content[0].attachment.contentType', (r) => (r.content[0].attachment.contentType = 'text/html')],
    ['hash', 'content[0].attachment.hash', (r) => (r.content[0].attachment.hash = crypto.createHash('sha1').update('other').digest('base64'))],
    ['size', 'content[0].attachment.size', (r) => (r.content[0].attachment.size = 1)],
    ['non-canonical base64', 'content[0].attachment.data', (r) => (r.content[0].attachment.data = 'aGVsbG9=')],
    ['instant date', 'date', (r) => (r.date = '2026-11-24')],
  ])('%s → error names %s', (_case, field, breakIt) => {
    for (const profile of WRITE_PROFILES) {
      const resource = build(profile);
      breakIt(resource);
      const error = errorOf(() => validateForProfile(profile, resource));
      expect([profile, error.code, error.details?.field]).toEqual([profile, 'unprocessable', field]);
    }
  });

  test('a PDF entry must hold a PDF', () => {
    const error = errorOf(() => build('us-core', (i) => (i.pdf = { ...i.pdf!, bytes: Buffer.from('not a pdf') })));
    expect(error.details).toEqual({ field: 'content[1].attachment.data', profile: 'us-core' });
  });

  test('a text entry must hold UTF-8 text, even when its size and hash agree', () => {
    const resource = build('epic');
    const latin1 = Buffer.from('Ñúñez', 'latin1');
    Object.assign(resource.content[0].attachment, {
      data: latin1.toString('base64'),
      size: latin1.length,
      hash: crypto.createHash('sha1').update(latin1).digest('base64'),
    });
    expect(errorOf(() => validateForProfile('epic', resource)).details?.field).toBe('content[0].attachment.data');
  });

  test('refuses the wrong content layout for US Core: no PDF', () => {
    const error = errorOf(() => build('us-core', (i) => delete i.pdf));
    expect(error.details).toEqual({ field: 'content', profile: 'us-core' });
    expect(error.message).toContain('The note for a US Core FHIR server is not valid: content ');
  });

  test('refuses a non-LOINC type for US Core', () => {
    const error = errorOf(() => build('us-core', undefined, { typeCoding: { system: 'urn:oid:1.2.3', code: '9' } }));
    expect(error.details).toEqual({ field: 'type.coding', profile: 'us-core' });
  });
});

test('a malformed patient id or discussion id never leaves the builder', () => {
  expect(errorOf(() => build('epic', (i) => (i.patientId = '../Practitioner/x'))).details?.field).toBe('subject');
  expect(errorOf(() => build('oracle', (i) => (i.discussionId = 'DROP TABLE'))).details?.field).toBe('identifier');
});

test('attachments above 5 MiB are refused before they reach the EHR', () => {
  const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(5 * 1024 * 1024)]);
  const error = errorOf(() => build('us-core', (i) => (i.pdf = { ...i.pdf!, bytes: big })));
  expect(error.details?.field).toBe('content[1].attachment.data');
});

test('an unknown profile is refused', () => {
  expect(errorOf(() => buildDocumentReference('athena' as WriteProfile, input())).details).toEqual({ field: 'profile' });
});

test('LOINC codes are checked by format and Mod 10 check digit', () => {
  expect(['11506-3', '34895-3', '59284-0', '64293-4', '18842-5', '11488-4'].every(isLoincCode)).toBe(true);
  expect(['11506-4', '34895', 'abc-1', '', undefined].some(isLoincCode)).toBe(false);
});
