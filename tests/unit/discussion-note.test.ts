/**
 * The note text filed to the chart: deterministic bytes (its SHA-256 is the audit anchor), plain language that says
 * it records a discussion and not the consent form, every fact a compliance reader needs, and no control or
 * bidi-override characters from the chart or the browser. Also the hash helpers against known vectors, and the
 * example checklist answers against the checklist they claim to answer.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DiscussionNoteInput } from '../../fhir-resources/discussion-note';
import { renderDiscussionNote, sha1Base64, sha256Hex } from '../../fhir-resources/discussion-note';
import {
  EXAMPLES_DIR,
  exampleDiscussionNoteInput,
  loadExampleAnswers,
} from '../support/example-discussion';
import { answersForRecord, validateForAttestation } from '../../server/consent/checklist-model';
import { loadChecklist } from '../../server/content/content-packs';
import { AppError } from '../../server/errors';

const GOLDEN_NOTE = path.join(EXAMPLES_DIR, 'discussion-note.example.txt');
const UNSAFE_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

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

function withInput(change: (input: DiscussionNoteInput) => void): DiscussionNoteInput {
  const input = structuredClone(exampleDiscussionNoteInput());
  change(input);
  return input;
}

describe('renderDiscussionNote', () => {
  const input = exampleDiscussionNoteInput();
  const text = renderDiscussionNote(input);

  test('matches the committed golden note for the fixed example discussion', () => {
    if (process.env.UPDATE_EXAMPLES === '1') {
      fs.writeFileSync(GOLDEN_NOTE, text, 'utf8');
    }
    expect(text).toBe(fs.readFileSync(GOLDEN_NOTE, 'utf8'));
  });

  test('is deterministic: the same input (even a copy) gives the same bytes and hash', () => {
    const again = renderDiscussionNote(structuredClone(input));
    expect(Buffer.from(again, 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(sha256Hex(again)).toBe(sha256Hex(text));
  });

  test('uses "\\n" line ends, no trailing spaces, and ends with exactly one newline', () => {
    expect(text).not.toContain('\r');
    expect(text.split('\n').filter((line) => line !== line.trimEnd())).toEqual([]);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });

  test('says plainly it records a discussion, not the consent form', () => {
    expect(text).toContain('This note records an education and consent discussion');
    expect(text).toContain('It is not the signed consent form');
  });

  test('records the handout, hashes, app version, clinician, times, teach-back and interpreter', () => {
    expect(text).toContain('Title: A Pain Medicine Pump: Benefits and Risks');
    expect(text).toContain(`Version: ${input.handout.version}`);
    expect(text).toContain('Language: English (en)');
    expect(text).toContain(`Handout PDF SHA-256: ${input.handout.pdfSha256}`);
    expect(text).toContain('Written by: ITDD Consent app version 0.1.0');
    expect(text).toContain('Discussion held by: Elena Rivera, MD (Practitioner/itdd-dr-rivera)');
    expect(text).toContain('Date and time of the discussion (attestation): 2026-11-24 09:36:00 UTC-05:00');
    expect(text).toContain('Discussion period: 2026-11-24 09:05:00 UTC-05:00 to 2026-11-24 09:35:00 UTC-05:00');
    expect(text).toContain('Teach-back result: Understood after re-explaining');
    expect(text).toContain('Interpreter: not used.');
    expect(text).toContain('Discussion ID: urn:uuid:3f0c1a52-8d5e-4b7a-9c21-6e4f0b9d2a17');
    expect(text).toContain('Encounter record: Encounter/anticoagulant-encounter');
  });

  test('lists the tailoring shown, with the audience and the reason a flag was dismissed', () => {
    expect(text).toContain("- Bleeding risk: on apixaban (anticoagulant) — shown in the patient's handout (rule anticoagulant-bleeding)");
    expect(text).toContain(
      '- Contrast-dye allergy recorded — shown to the clinician only (rule contrast-allergy)\n  Dismissed by the clinician: No contrast is planned for the trial.',
    );
  });

  test('lists every checklist answer in checklist order, under its group', () => {
    const positions = input.checklist.map((item) => text.indexOf(`- ${item.text}\n  Answer: ${item.answer}\n`));
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toContain('Risks specific to this patient:\n- Bleeding risk with the patient');
  });

  test('keeps its sections in a fixed order', () => {
    const headings = ['HANDOUT GIVEN', 'TEACH-BACK AND INTERPRETER', 'TAILORING SHOWN', 'CONSENT DISCUSSION CHECKLIST', 'CLINICIAN NOTES', 'RECORD DETAILS'];
    const positions = headings.map((heading) => text.indexOf(`\n\n${heading}\n`));
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test('strips control and bidi-override characters from chart and clinician text', () => {
    const hostile = withInput((i) => {
      i.patient.name = 'Mar\u0000garet\u202e Elli\u001b[31mson\r\nJr';
      i.clinician.name = 'Elena\u0007 Rivera';
      i.clinicianNotes = ['Line one\nLine two\u0085\u2066 end'];
      i.checklist[0].answer = 'Clinic\u0000 A\tsuite';
      i.flagsShown[2].dismissed = { reason: 'No contrast\u202d planned\u0008.' };
      i.interpreter = { used: true, nameOrId: 'ID\u0000 4471', modality: 'Video\u000b', language: 'es' };
    });
    const note = renderDiscussionNote(hostile);
    expect(note).not.toMatch(UNSAFE_CHARACTERS);
    expect(note).not.toContain('\r');
    expect(note).toContain('Patient: Margaret Elli[31mson Jr');
    expect(note).toContain('Discussion held by: Elena Rivera (Practitioner/itdd-dr-rivera)\n');
    expect(note).toContain('CLINICIAN NOTES\n- Line one Line two end\n');
    expect(note).toContain('Answer: Clinic A suite\n');
    expect(note).toContain('Dismissed by the clinician: No contrast planned.');
    expect(note).toContain('Interpreter: used.\nInterpreter name or ID: ID 4471\nHow the interpreter took part: Video\nInterpreted language: Spanish (es)');
  });

  test('says why no interpreter was needed when the clinician gave a reason', () => {
    const note = renderDiscussionNote(withInput((i) => (i.interpreter = { used: false, reason: 'The patient chose English.\u0000' })));
    expect(note).toContain('Interpreter: not used.\nWhy no interpreter was needed: The patient chose English.\n');
  });

  test('keeps non-Latin and accented names intact', () => {
    const note = renderDiscussionNote(withInput((i) => (i.patient.name = 'José Ángel Ñúñez / فاطمة الزهراء')));
    expect(note).toContain('Patient: José Ángel Ñúñez / فاطمة الزهراء\n');
  });

  test('says what is missing rather than leaving blanks', () => {
    const sparse = withInput((i) => {
      i.patient = { id: 'minimal-data-patient' };
      delete i.encounterId;
      delete i.handout.pdfSha256;
      delete i.interpreter;
      i.flagsShown = [];
      i.clinicianNotes = ['  '];
    });
    const note = renderDiscussionNote(sparse);
    expect(note).toContain('Patient: name not recorded in the chart\nDate of birth: not recorded in the chart\nMRN: not recorded in the chart');
    expect(note).toContain('Handout PDF SHA-256: no PDF was made');
    expect(note).toContain('Interpreter: not recorded.');
    expect(note).toContain('TAILORING SHOWN\nNone: no tailoring applied to this patient.');
    expect(note).toContain('CLINICIAN NOTES\nNone.');
    expect(note).toContain('Encounter record: none in the launch context');
  });

  test('caps over-long chart text with a visible mark', () => {
    const note = renderDiscussionNote(withInput((i) => (i.patient.name = 'A'.repeat(5000))));
    expect(note).toContain(`Patient: ${'A'.repeat(199)}…\n`);
  });

  test.each<[string, (i: DiscussionNoteInput) => void]>([
    ['discussionId', (i) => (i.discussionId = 'not-a-uuid')],
    ['discussedAt', (i) => (i.discussedAt = '2026-11-24T09:36:00')],
    ['periodEnd', (i) => (i.periodEnd = '2026-13-40T09:36:00Z')],
    ['teachBack', (i) => (i.teachBack = '\u0000 ')],
    ['clinicianNotes[0]', (i) => (i.clinicianNotes = ['x'.repeat(4001)])],
    ['handout.pdfSha256', (i) => (i.handout.pdfSha256 = 'abc')],
    ['handout.language', (i) => (i.handout.language = 'English')],
    ['clinician.reference', (i) => (i.clinician.reference = 'https://ehr.example/Practitioner/1')],
    ['flagsShown[0].id', (i) => (i.flagsShown[0].id = 'Bad Id')],
    ['checklist', (i) => (i.checklist = Array.from({ length: 201 }, () => ({ group: 'g', text: 't', answer: 'a' })))],
  ])('refuses a malformed %s, naming the field', (field, change) => {
    const error = errorOf(() => renderDiscussionNote(withInput(change)));
    expect(error.code).toBe('bad_request');
    expect(error.details).toEqual({ field });
    expect(error.message).toContain(field);
  });
});

describe('hash helpers', () => {
  test('sha256Hex matches the FIPS 180-2 vectors and Node crypto, for strings (UTF-8) and bytes', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('Ñúñez')).toBe(sha256Hex(Buffer.from('Ñúñez', 'utf8')));
    const bytes = crypto.randomBytes(4096);
    expect(sha256Hex(bytes)).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
  });

  test('sha1Base64 is the base64 SHA-1 of the raw bytes (FHIR Attachment.hash)', () => {
    expect(sha1Base64(Buffer.from('abc'))).toBe('qZk+NkcGgWq6PiVxeFDCbJzQ2J0=');
    expect(sha1Base64(Buffer.alloc(0))).toBe('2jmj7l5rSw0yVb/vlWAYkK/YBwk=');
    const bytes = crypto.randomBytes(4096);
    expect(sha1Base64(bytes)).toBe(crypto.createHash('sha1').update(bytes).digest('base64'));
  });
});

describe('checklist-answers.example.json', () => {
  const checklist = loadChecklist('en');
  const example = loadExampleAnswers();

  test('names the checklist it answers and the anticoagulant sandbox patient', () => {
    expect(example).toMatchObject({
      checklistId: checklist.id,
      checklistVersion: checklist.version,
      patient: 'Patient/anticoagulant-patient',
      encounter: 'Encounter/anticoagulant-encounter',
    });
  });

  test('passes the consent module\'s attestation gate for the flags raised', () => {
    expect(validateForAttestation(checklist, example.answers, example.flagsRaised)).toEqual({ ok: true });
  });

  test('answers only the items shown for this patient (no tailored item whose flag is not raised)', () => {
    expect(answersForRecord(checklist, example.answers, example.flagsRaised)).toEqual(example.answers);
    const tailored = checklist.items.filter((item) => item.appliesWhen !== undefined && Object.hasOwn(example.answers, item.id));
    expect(tailored.map((item) => item.appliesWhen)).toEqual(['bleeding-risk', 'non-cancer-pain']);
  });
});
