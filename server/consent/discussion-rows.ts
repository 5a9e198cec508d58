/**
 * Discussion records ↔ rows of `discussions` (migration 002). The sealed payload is checked against a schema when
 * it is opened, so a row written by an older or broken build fails loudly instead of feeding bad data to a note.
 */
import { z } from 'zod';
import { AppError } from '../errors';
import type { SealedBox } from '../store/sealed-box';
import { INDICATIONS, PROCEDURES, TAILORING_FLAG_IDS, UNCHECKED_AREA_FLAG_IDS } from '../content/content-schema';
import { TAILORED_READS } from '../tailoring/rule-reads';
import type { Discussion } from './discussion';

/** A row as both drivers return it: timestamptz → Date, NULL → null. */
export interface DiscussionRow {
  id: string;
  tenant_id: string;
  fhir_base_url: string;
  patient_id: string;
  encounter_id: string | null;
  clinician: string;
  launch_id: string;
  status: string;
  pack_id: string;
  pack_version: string;
  pack_language: string;
  checklist_id: string;
  checklist_version: string;
  payload_sealed: string;
  created_at: Date;
  updated_at: Date;
  attested_at: Date | null;
  attested_by: string | null;
  version: number;
}

const shownFlagSchema = z.object({
  id: z.string(),
  audience: z.enum(['patient', 'clinician']),
  severity: z.enum(['info', 'caution', 'alert']),
  handoutFlag: z.enum(TAILORING_FLAG_IDS).optional(),
  section: z.string().optional(),
  title: z.string(),
  reason: z.string(),
  source: z.object({ id: z.string(), text: z.string(), url: z.string().optional() }),
  evidence: z.array(z.object({ reference: z.string(), display: z.string() })),
});

const uncheckedAreaSchema = z.object({
  read: z.enum(TAILORED_READS),
  flag: z.enum(UNCHECKED_AREA_FLAG_IDS),
  state: z.enum(['not-authorized', 'failed']),
  checks: z.array(z.string()),
  rules: z.array(z.string()),
  text: z.string(),
});

const entrySchema = z.object({ by: z.string(), at: z.string() });

/** The sealed part: PHI (answers, notes, reasons, chart evidence) and the clinician's name. */
const payloadSchema = z.object({
  clinicianName: z.string().optional(),
  packTitle: z.string(),
  /** Absent in records written before the content archive: those reprint the loaded pack of their version. */
  packHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  interpreterNeeded: z.boolean(),
  preferredLanguage: z.string().optional(),
  flagsShown: z.array(shownFlagSchema),
  /** Absent in records written before unchecked areas were kept: those builds said nothing about them. */
  uncheckedAreas: z.array(uncheckedAreaSchema).default([]),
  dismissedFlags: z.array(entrySchema.extend({ flagId: z.string(), reason: z.string() })),
  clinicianNotes: z.array(entrySchema.extend({ id: z.string(), text: z.string() })),
  answers: z.record(z.string(), z.object({ value: z.union([z.boolean(), z.string()]), note: z.string().optional() })),
  /** Absent in records written before the clinician could choose, and whenever the chart's scenario stands. */
  scenarioChoice: z.object({ indication: z.enum(INDICATIONS).optional(), procedure: z.enum(PROCEDURES).optional() }).optional(),
  chartRead: z.object({ readAt: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
});

type Payload = z.infer<typeof payloadSchema>;

/** Additional authenticated data: a payload opens only in the row it was sealed for. */
export const payloadContext = (id: string): string => `discussions.payload:${id}`;

export function sealPayload(box: SealedBox, d: Discussion): string {
  const payload: Payload = {
    clinicianName: d.clinician.name,
    packTitle: d.pack.title,
    ...(d.pack.contentHash === undefined ? {} : { packHash: d.pack.contentHash }),
    interpreterNeeded: d.interpreterNeeded,
    ...(d.preferredLanguage === undefined ? {} : { preferredLanguage: d.preferredLanguage }),
    flagsShown: d.flagsShown,
    uncheckedAreas: d.uncheckedAreas,
    dismissedFlags: d.dismissedFlags,
    clinicianNotes: d.clinicianNotes,
    answers: d.answers,
    ...(d.scenarioChoice === undefined ? {} : { scenarioChoice: d.scenarioChoice }),
    ...(d.chartRead === undefined ? {} : { chartRead: d.chartRead }),
  };
  return box.seal(payload, payloadContext(d.id));
}

/** The row's values, in the column order of {@link DISCUSSION_COLUMNS}. */
export function rowValues(box: SealedBox, d: Discussion): unknown[] {
  return [
    d.id, d.tenantId, d.fhirBaseUrl, d.patientId, d.encounterId ?? null, d.clinician.fhirUser, d.launchId, d.status,
    d.pack.id, d.pack.version, d.pack.language, d.checklist.id, d.checklist.version, sealPayload(box, d),
    d.createdAt, d.updatedAt, d.attestedAt ?? null, d.attestedBy ?? null, d.version,
  ];
}

export const DISCUSSION_COLUMNS = [
  'id', 'tenant_id', 'fhir_base_url', 'patient_id', 'encounter_id', 'clinician', 'launch_id', 'status',
  'pack_id', 'pack_version', 'pack_language', 'checklist_id', 'checklist_version', 'payload_sealed',
  'created_at', 'updated_at', 'attested_at', 'attested_by', 'version',
] as const;

function statusOf(value: string): Discussion['status'] {
  if (value === 'draft' || value === 'attested') {
    return value;
  }
  throw new AppError('internal', `Stored discussion has an unknown status "${value}"`);
}

export function discussionFromRow(box: SealedBox, row: DiscussionRow): Discussion {
  const p = payloadSchema.parse(box.open(row.payload_sealed, payloadContext(row.id)));
  const discussion: Discussion = {
    id: row.id,
    tenantId: row.tenant_id,
    fhirBaseUrl: row.fhir_base_url,
    patientId: row.patient_id,
    clinician: p.clinicianName === undefined ? { fhirUser: row.clinician } : { fhirUser: row.clinician, name: p.clinicianName },
    launchId: row.launch_id,
    pack: { id: row.pack_id, version: row.pack_version, language: row.pack_language, title: p.packTitle, ...(p.packHash === undefined ? {} : { contentHash: p.packHash }) },
    checklist: { id: row.checklist_id, version: row.checklist_version },
    interpreterNeeded: p.interpreterNeeded,
    flagsShown: p.flagsShown,
    uncheckedAreas: p.uncheckedAreas,
    dismissedFlags: p.dismissedFlags,
    clinicianNotes: p.clinicianNotes,
    answers: p.answers,
    status: statusOf(row.status),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
  if (row.encounter_id !== null) {
    discussion.encounterId = row.encounter_id;
  }
  if (p.chartRead !== undefined) {
    discussion.chartRead = p.chartRead;
  }
  const choice = p.scenarioChoice;
  if (choice !== undefined && (choice.indication !== undefined || choice.procedure !== undefined)) {
    discussion.scenarioChoice = {
      ...(choice.indication === undefined ? {} : { indication: choice.indication }),
      ...(choice.procedure === undefined ? {} : { procedure: choice.procedure }),
    };
  }
  if (p.preferredLanguage !== undefined) {
    discussion.preferredLanguage = p.preferredLanguage;
  }
  if (row.attested_at !== null) {
    discussion.attestedAt = row.attested_at;
  }
  if (row.attested_by !== null) {
    discussion.attestedBy = row.attested_by;
  }
  return discussion;
}
