/**
 * An audit row as a FHIR R4 AuditEvent (pure), for export to an auditor or a SIEM: minimal, in the IHE BALP manner —
 * the user as the requesting agent (`fhirUser`), the app as the source, the patient and the records as entities,
 * the outcome coded, the chain position and hashes as entity details so an exported file can itself be re-verified.
 */
import type { AuditEvent, AuditEventEntity } from 'fhir/r4';
import type { AuditAction } from './audit-record';
import type { AuditRow } from './audit-trail';

export const AUDIT_ACTION_SYSTEM = 'https://itdd-consent.example/fhir/CodeSystem/audit-action';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ACTION_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';

/** FHIR AuditEvent.action: C create, R read, U update, E execute (a launch, a refusal). */
const ACTION_CODE: Record<AuditAction, AuditEvent['action']> = {
  'launch.accepted': 'E', 'launch.rejected': 'E', 'chart.read': 'R', 'handout.previewed': 'R', 'handout.downloaded': 'R', 'handout.printed': 'R',
  'checklist.saved': 'U', 'scenario.chosen': 'U', 'flag.dismissed': 'U', 'note.added': 'U', 'note.removed': 'U', 'discussion.attested': 'U', 'discussion.refused': 'E',
  'document.filed': 'C', 'document.reconciled': 'C', 'document.failed': 'E', 'document.entered-in-error': 'U', 'note.previewed': 'R',
  'gaps.reported': 'R',
  'content.approved': 'C', 'content.approval-revoked': 'E',
  'compliance.viewed': 'R', 'compliance.exported': 'R', 'compliance.refused': 'E',
};

/** 0 success, 4 minor failure (refused: the system worked as intended), 8 serious failure. */
const OUTCOME_CODE = { success: '0', refused: '4', failure: '8' } as const;

const FHIR_TYPES = new Set(['Patient', 'Encounter', 'DocumentReference', 'Practitioner']);

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
/** BALP entity[patient]: type 1 (Person), role 1 (Patient). */
const PATIENT_ENTITY = { type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } };
/** BALP entity[data] (type 2, System Object; a role is required): the records acted on, as domain resources. */
const DATA_ENTITY = { type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } };

function entityOf(type: string, id: string): AuditEventEntity {
  return FHIR_TYPES.has(type) || type === 'ReplacedDocumentReference'
    ? { what: { reference: `${type === 'ReplacedDocumentReference' ? 'DocumentReference' : type}/${id}` }, ...DATA_ENTITY, ...(type === 'ReplacedDocumentReference' ? { description: 'replaced' } : {}) }
    : { what: { identifier: { system: `${AUDIT_ACTION_SYSTEM.replace('/audit-action', '')}/${type}`, value: id } }, ...DATA_ENTITY };
}

/**
 * BALP's client agent: the app itself, beside the user who asked. It receives what is read (DCM 110152 Destination)
 * and is the source of what is created, changed or executed (DCM 110153 Source).
 */
function appAgent(action: AuditEvent['action']): NonNullable<AuditEvent['agent']>[number] {
  const role = action === 'R' ? { code: '110152', display: 'Destination Role ID' } : { code: '110153', display: 'Source Role ID' };
  return { type: { coding: [{ system: DCM, ...role }] }, who: { display: 'ITDD Consent' }, requestor: false };
}

export function auditEventOf(row: AuditRow): AuditEvent {
  const r = row.record;
  const details = Object.entries(r.detail ?? {}).map(([type, value]) => ({ type, valueString: String(value) }));
  const entities: AuditEventEntity[] = [
    ...(r.patientId === undefined ? [] : [{ what: { reference: `Patient/${r.patientId}` }, ...PATIENT_ENTITY }]),
    ...(r.entities ?? []).map((e) => entityOf(e.type, e.id)),
    {
      what: { identifier: { system: `${AUDIT_ACTION_SYSTEM.replace('/audit-action', '')}/audit-chain`, value: String(row.seq) } },
      type: DATA_ENTITY.type,
      role: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
      detail: [{ type: 'prevHash', valueString: row.prevHash }, { type: 'hash', valueString: row.hash }, ...details,
        ...(r.launch === undefined ? [] : [{ type: 'launch', valueString: r.launch }]), ...(r.reason === undefined ? [] : [{ type: 'reason', valueString: r.reason }])],
    },
  ];
  const action = ACTION_CODE[r.action];
  return {
    resourceType: 'AuditEvent',
    id: `itdd-audit-${row.seq}`,
    type: { system: ACTION_TYPE, code: 'rest' },
    subtype: [{ system: AUDIT_ACTION_SYSTEM, code: r.action }],
    action,
    recorded: row.recordedAt,
    outcome: OUTCOME_CODE[r.outcome],
    ...(r.reason === undefined ? {} : { outcomeDesc: r.reason }),
    agent: [
      ...(r.actor === undefined
        ? []
        : [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, who: { identifier: { system: 'urn:ietf:rfc:3986', value: r.actor } }, requestor: true }]),
      appAgent(action),
    ],
    source: {
      ...(r.tenantId === undefined ? {} : { site: r.tenantId }),
      observer: { display: 'ITDD Consent' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: entities,
  };
}
