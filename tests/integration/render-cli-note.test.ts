/**
 * `npm run render` with `--checklist`: the example answers for the anticoagulant patient become the note text and a
 * DocumentReference per write profile, exactly as the app's own code builds them, reproducibly for a fixed date;
 * answers that cannot be attested and unknown profiles stop it with exit code 2, naming what to fix, writing nothing.
 */
import { snapshotHash } from '../../server/chart-snapshot/snapshot-store';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DocumentReference } from 'fhir/r4';
import { renderDiscussionNote, sha256Hex } from '../../fhir-resources/discussion-note';
import type { WriteProfile } from '../../fhir-resources/document-reference';
import { validateForProfile, WRITE_PROFILES } from '../../fhir-resources/document-reference';
import { loadExampleAnswers } from '../support/example-discussion';
import { chartOfBundle, runCli } from '../../server/cli/render';
import { noteInputFor } from '../../server/consent/note-input';
import { loadChecklist, loadHandoutPack } from '../../server/content/content-packs';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = path.join(ROOT, 'fhir-resources/patients/anticoagulant.json');
const ANSWERS = path.join(ROOT, 'fhir-resources/examples/checklist-answers.example.json');
const ATTESTED_AT = '2026-11-24T09:36:00-05:00';
const DISCUSSION_ID = '6d1f6a0e-2b8c-4f4e-9a51-0c7e3b2d9f14';
let dir: string;

interface CliRun {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

const file = (name: string): string => path.join(dir, name);
const ATTESTED_UTC = new Date(ATTESTED_AT).toISOString();
const readJson = (name: string): DocumentReference => JSON.parse(fs.readFileSync(file(name), 'utf8')) as DocumentReference;
const attachmentBytes = (resource: DocumentReference, index: number): Buffer => Buffer.from(resource.content[index]?.attachment.data ?? '', 'base64');

function writeAnswers(name: string, change: (answers: Record<string, unknown>) => void): string {
  const answers: Record<string, unknown> = { ...loadExampleAnswers().answers };
  change(answers);
  fs.writeFileSync(file(name), JSON.stringify(answers));
  return file(name);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-render-note-'));
  const profiles = WRITE_PROFILES.flatMap((profile) => ['--document-reference', `${profile}:${file(`${profile}.json`)}`]);
  const result = await run([
    '--bundle', BUNDLE, '--checklist', ANSWERS, '--date', ATTESTED_AT, '--discussion-id', DISCUSSION_ID,
    '--out', file('handout.pdf'), '--note', file('note.txt'), ...profiles,
  ]);
  expect(result).toMatchObject({ code: 0, err: '' });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the note equals renderDiscussionNote of the same discussion, with the app-filled items filled by the command', () => {
  const note = fs.readFileSync(file('note.txt'), 'utf8');
  const pdf = fs.readFileSync(file('handout.pdf'));
  const pack = loadHandoutPack('en');
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const expected = renderDiscussionNote(noteInputFor({
    record: {
      id: DISCUSSION_ID,
      patientId: 'anticoagulant-patient',
      encounterId: 'anticoagulant-encounter',
      pack: { id: pack.id, version: pack.version, language: pack.language, title: pack.title },
      interpreterNeeded: false,
      flagsShown: chartOfBundle(BUNDLE, new Date(ATTESTED_AT)).tailoring.flags,
      uncheckedAreas: [],
      dismissedFlags: [],
      clinicianNotes: [],
      // The chart records no preferred language; the example file's own app-filled value is not taken.
      answers: { ...loadExampleAnswers().answers, 'preferred-language': { value: 'Not recorded in the chart' } },
      // The bundle is the chart as read at the command's time: the note names that read and its snapshot hash.
      chartRead: { readAt: ATTESTED_UTC, sha256: snapshotHash(chartOfBundle(BUNDLE, new Date(ATTESTED_AT)).context) },
    },
    checklist: loadChecklist('en'),
    patient: { name: 'Margaret Ann Ellison', birthDate: '1957-03-14', mrn: 'SBX-100001' },
    clinician: { reference: 'Practitioner/itdd-dr-rivera', name: 'Elena Rivera, MD' },
    // As the filing service writes it: the discussion's instant in UTC, whatever offset --date was given in.
    times: { attestedAt: ATTESTED_UTC, periodStart: ATTESTED_UTC, periodEnd: ATTESTED_UTC },
    appVersion: manifest.version,
    pdfSha256: sha256Hex(pdf),
    // The anticoagulant patient's chart reads as a first implant for pain not caused by cancer; no choice was made.
    scenario: { inForce: { indication: 'non-cancer-pain', procedure: 'first-implant' }, fromChart: { indication: 'non-cancer-pain', procedure: 'first-implant' } },
  }));
  expect(note).toBe(expected);
  expect(note).toContain(`Title: ${pack.title}\nVersion: ${pack.version}\n`);
  expect(note).toContain(`Handout PDF SHA-256: ${crypto.createHash('sha256').update(pdf).digest('hex')}\n`);
  expect(note).toContain('Teach-back result: Understood after re-explaining\n');
  expect(note).toContain(`Discussion ID: urn:uuid:${DISCUSSION_ID}\n`);
});

test.each(WRITE_PROFILES)('the %s DocumentReference passes its profile, carries the note, and its hashes are the SHA-1 of its bytes', (profile: WriteProfile) => {
  const resource = readJson(`${profile}.json`);
  expect(() => validateForProfile(profile, resource)).not.toThrow();
  expect(resource).toMatchObject({
    identifier: [{ value: `urn:uuid:${DISCUSSION_ID}` }],
    subject: { reference: 'Patient/anticoagulant-patient' },
    author: [{ reference: 'Practitioner/itdd-dr-rivera' }],
    date: ATTESTED_UTC,
    context: { encounter: [{ reference: 'Encounter/anticoagulant-encounter' }] },
  });
  resource.content.forEach((entry, index) => {
    const bytes = attachmentBytes(resource, index);
    expect(entry.attachment.hash).toBe(crypto.createHash('sha1').update(bytes).digest('base64'));
    expect(entry.attachment.size).toBe(bytes.length);
  });
  expect(attachmentBytes(resource, 0).equals(fs.readFileSync(file('note.txt')))).toBe(true);
});

test('only the US Core reference files the handout PDF, byte for byte the one written', () => {
  expect(attachmentBytes(readJson('us-core.json'), 1).equals(fs.readFileSync(file('handout.pdf')))).toBe(true);
  expect(readJson('epic.json').content).toHaveLength(1);
  expect(readJson('oracle.json').content).toHaveLength(1);
});

test('without --out the PDF is still rendered for its hash, and a fixed --date gives the same bytes and a derived id', async () => {
  const argv = (suffix: string): string[] => [
    '--bundle', BUNDLE, '--checklist', ANSWERS, '--date', ATTESTED_AT,
    '--note', file(`note-${suffix}.txt`), '--document-reference', `epic:${file(`epic-${suffix}.json`)}`,
  ];
  expect((await run(argv('a'))).code).toBe(0);
  expect((await run(argv('b'))).code).toBe(0);
  const note = fs.readFileSync(file('note-a.txt'), 'utf8');
  expect(fs.readFileSync(file('note-b.txt'), 'utf8')).toBe(note);
  expect(fs.readFileSync(file('epic-b.json'), 'utf8')).toBe(fs.readFileSync(file('epic-a.json'), 'utf8'));
  expect(note).toContain(`Handout PDF SHA-256: ${sha256Hex(fs.readFileSync(file('handout.pdf')))}\n`);
  const id = /^Discussion ID: urn:uuid:([0-9a-f-]{36})$/m.exec(note)?.[1];
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(id).not.toBe(DISCUSSION_ID);
});

test('answers missing required items stop it with exit code 2, naming each item, and nothing is written', async () => {
  const answers = writeAnswers('incomplete.json', (a) => {
    delete a['teach-back'];
    delete a['tailored-bleeding'];
  });
  const result = await run(['--bundle', BUNDLE, '--checklist', answers, '--date', ATTESTED_AT, '--note', file('never.txt'), '--out', file('never.pdf')]);
  expect(result.code).toBe(2);
  expect(result.err).toContain('2 checklist items need attention');
  expect(result.err).toContain('- tailored-bleeding: required, not answered');
  expect(result.err).toContain('- teach-back: required, not answered');
  expect(result.err).toContain('Tailoring flags for this patient: bleeding-risk, non-cancer-pain');
  expect(fs.existsSync(file('never.txt')) || fs.existsSync(file('never.pdf'))).toBe(false);
});

test('an answer that does not fit its item, or answers for another patient, stop it with exit code 2', async () => {
  const badValue = writeAnswers('bad-value.json', (a) => {
    a['teach-back'] = { value: 'maybe' };
  });
  const invalid = await run(['--bundle', BUNDLE, '--checklist', badValue, '--note', file('never.txt')]);
  expect(invalid.code).toBe(2);
  expect(invalid.err).toMatch(/- teach-back: must be one of: understood, /);
  const other = await run(['--bundle', path.join(ROOT, 'fhir-resources/patients/spanish-speaker.json'), '--checklist', ANSWERS, '--note', file('never.txt')]);
  expect(other.code).toBe(2);
  expect(other.err).toContain('"patient" does not match "Patient/spanish-speaker-patient"');
  expect(fs.existsSync(file('never.txt'))).toBe(false);
});

test('an unknown write profile stops it with exit code 2 before anything is read', async () => {
  const result = await run(['--bundle', BUNDLE, '--checklist', ANSWERS, '--document-reference', `cerner:${file('never.json')}`]);
  expect(result.code).toBe(2);
  expect(result.err).toContain('"cerner" is not a write profile');
  expect(fs.existsSync(file('never.json'))).toBe(false);
});

test('a DocumentReference that breaks its profile stops it with exit code 2 naming the element', async () => {
  const result = await run([
    '--bundle', BUNDLE, '--checklist', ANSWERS, '--date', ATTESTED_AT, '--clinician', 'PractitionerRole/itdd-role-rivera|Elena Rivera, MD',
    '--note', file('never.txt'), '--document-reference', `oracle:${file('never.json')}`,
  ]);
  expect(result.code).toBe(2);
  expect(result.err).toContain('The note for Oracle Health is not valid: author');
  expect(fs.existsSync(file('never.txt')) || fs.existsSync(file('never.json'))).toBe(false);
});
