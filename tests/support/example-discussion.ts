/**
 * A fixed, synthetic discussion for the anticoagulant sandbox patient (`patients/anticoagulant.json`), used to
 * produce the committed examples in this folder: the golden note text and one DocumentReference per write profile.
 * `tests/unit/discussion-note.test.ts` and `tests/unit/document-reference.test.ts` prove the committed files equal
 * what the code produces from this input (run them with `UPDATE_EXAMPLES=1` to rewrite the files after a deliberate
 * change, then review the diff).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadChecklist, loadHandoutPack } from '../../server/content/content-packs';
import type { ChecklistAnswers } from '../../server/consent/checklist-model';
import { noteInputFor } from '../../server/consent/note-input';
import { projectRoot } from '../../server/project-root';
import type { DiscussionNoteInput } from '../../fhir-resources/discussion-note';
import { sha256Hex } from '../../fhir-resources/discussion-note';
import type { DocumentReferenceInput } from '../../fhir-resources/document-reference';

export interface ChecklistAnswersFile {
  checklistId: string;
  checklistVersion: string;
  patient: string;
  encounter: string;
  clinician: string;
  /** The content-pack tailoring flags active for this patient (they decide which tailored items apply). */
  flagsRaised: string[];
  /** As the consent module stores them (`server/consent/checklist-model.ts`). */
  answers: ChecklistAnswers;
}

export const EXAMPLES_DIR = path.join(projectRoot(), 'fhir-resources', 'examples');
export const EXAMPLE_DISCUSSION_ID = '3f0c1a52-8d5e-4b7a-9c21-6e4f0b9d2a17';

export function loadExampleAnswers(): ChecklistAnswersFile {
  const file = path.join(EXAMPLES_DIR, 'checklist-answers.example.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ChecklistAnswersFile;
}

/** A one-page PDF (valid cross-reference table) standing in for the rendered discussion record and handout. */
export function minimalPdf(text: string): Buffer {
  const stream = `BT /F1 12 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets = objects.map((object, index) => {
    const offset = body.length;
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
    return offset;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)];
  const trailer = `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${body.length}\n%%EOF\n`;
  return Buffer.from(`${body}${xref.join('')}${trailer}`, 'latin1');
}

/** The example's chart snapshot hash (a fixed value: the example has no EHR read to hash). */
const EXAMPLE_CHART_SHA256 = '9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6';

export const EXAMPLE_PDF = minimalPdf('Intrathecal drug pump: education and consent discussion, with the handout (example)');

/**
 * The example's note input, through the same mapping the render command and the filing service use
 * (`server/consent/note-input.ts`), from a record pinned here: the flags as the clinician saw them, one dismissed.
 */
export function exampleDiscussionNoteInput(): DiscussionNoteInput {
  const answers = loadExampleAnswers();
  const handout = loadHandoutPack('en');
  return noteInputFor({
    record: {
      id: EXAMPLE_DISCUSSION_ID,
      patientId: 'anticoagulant-patient',
      encounterId: 'anticoagulant-encounter',
      pack: { id: handout.id, title: handout.title, version: handout.version, language: handout.language },
      interpreterNeeded: false,
      flagsShown: [
        { id: 'anticoagulant-bleeding', title: 'Bleeding risk: on apixaban (anticoagulant)', audience: 'patient' },
        { id: 'non-cancer-pain', title: 'Chronic non-cancer pain (failed back surgery syndrome)', audience: 'patient' },
        { id: 'contrast-allergy', title: 'Contrast-dye allergy recorded', audience: 'clinician' },
      ],
      uncheckedAreas: [],
      dismissedFlags: [{ flagId: 'contrast-allergy', reason: 'No contrast is planned for the trial.' }],
      clinicianNotes: [{ text: 'Patient prefers to start with the trial; implant to be discussed again after it.' }],
      answers: answers.answers,
      chartRead: { readAt: '2026-11-24T09:04:12-05:00', sha256: EXAMPLE_CHART_SHA256 },
    },
    checklist: loadChecklist('en'),
    patient: { name: 'Margaret Ann Ellison', birthDate: '1957-03-14', mrn: 'SBX-100001' },
    clinician: { reference: answers.clinician, name: 'Elena Rivera, MD' },
    times: {
      attestedAt: String(answers.answers['attestation-datetime']?.value),
      periodStart: '2026-11-24T09:05:00-05:00',
      periodEnd: '2026-11-24T09:35:00-05:00',
    },
    appVersion: '0.1.0',
    pdfSha256: sha256Hex(EXAMPLE_PDF),
    scenario: { inForce: { indication: 'non-cancer-pain', procedure: 'first-implant' }, fromChart: { indication: 'non-cancer-pain', procedure: 'first-implant' } },
  });
}

export function exampleDocumentReferenceInput(noteText: string): DocumentReferenceInput {
  return {
    discussionId: EXAMPLE_DISCUSSION_ID,
    patientId: 'anticoagulant-patient',
    encounterId: 'anticoagulant-encounter',
    authorReference: 'Practitioner/itdd-dr-rivera',
    date: '2026-11-24T09:37:12-05:00',
    periodStart: '2026-11-24T09:05:00-05:00',
    periodEnd: '2026-11-24T09:35:00-05:00',
    noteText,
    pdf: { bytes: EXAMPLE_PDF, title: 'Intrathecal drug pump: education and consent discussion, with the handout', creation: '2026-11-24T09:20:00-05:00', language: 'en' },
    language: 'en',
  };
}
