/**
 * Audit records of what a signed-in user did in a launch (pure): who, in which tenant, for which patient, correlated
 * by the launch's handle, about which discussion and content versions.
 */
import type { LaunchSession } from '../store/launch-sessions';
import type { AuditAction, AuditEntity, AuditOutcome, AuditRecord } from './audit-record';
import { launchHandle } from './audit-record';

export function launchRecord(launch: LaunchSession, action: AuditAction, outcome: AuditOutcome, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    action,
    outcome,
    tenantId: launch.tenantId,
    ...(launch.fhirUser === undefined ? {} : { actor: launch.fhirUser }),
    patientId: launch.patientId,
    launch: launchHandle(launch.launchId),
    ...extra,
  };
}

/** What the audit trail needs of a discussion (structural: the audit layer sits below the features that use it). */
export interface AuditedDiscussion {
  id: string;
  encounterId?: string;
  pack: { id: string; version: string; language: string };
  checklist: { id: string; version: string };
}

/** The discussion and the content versions it used (what a compliance review asks: "with which version"). */
export function discussionEntities(discussion: AuditedDiscussion): AuditEntity[] {
  return [
    ...(discussion.id === '' ? [] : [{ type: 'Discussion', id: discussion.id }]),
    { type: 'ContentPack', id: `${discussion.pack.id}|${discussion.pack.version}|${discussion.pack.language}` },
    { type: 'Checklist', id: `${discussion.checklist.id}|${discussion.checklist.version}` },
    ...(discussion.encounterId === undefined ? [] : [{ type: 'Encounter', id: discussion.encounterId }]),
  ];
}
