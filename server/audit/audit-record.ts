/**
 * What one audit row says (pure): who (the signed-in user's `fhirUser`, the tenant), did what (an action from a
 * closed list), to which records (FHIR ids, content versions, hashes), with which outcome and, when refused or
 * failed, a reason code. Minimal, as IHE BALP advises: identifiers and codes, never a name, a birth date, a chart
 * string or free text — those stay in the sealed records the ids point to.
 */
import crypto from 'node:crypto';

export const AUDIT_ACTIONS = [
  'launch.accepted',
  'launch.rejected',
  'chart.read',
  'handout.previewed',
  'handout.downloaded',
  'handout.printed',
  'checklist.saved',
  'scenario.chosen',
  'flag.dismissed',
  'note.added',
  'note.removed',
  'discussion.attested',
  'discussion.refused',
  'document.filed',
  'document.reconciled',
  'document.failed',
  'document.entered-in-error',
  'note.previewed',
  'gaps.reported',
  'content.approved',
  'content.approval-revoked',
  'compliance.viewed',
  'compliance.exported',
  'compliance.refused',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditOutcome = 'success' | 'refused' | 'failure';

/** A FHIR resource or an app record the action was about: `Patient/123`, `Discussion/<uuid>`, `ContentPack/id|v`. */
export interface AuditEntity {
  type: string;
  id: string;
}

export interface AuditRecord {
  action: AuditAction;
  outcome: AuditOutcome;
  tenantId?: string;
  /** The signed-in user: their `fhirUser` reference as the EHR gave it. */
  actor?: string;
  patientId?: string;
  /** Correlates the events of one launch without storing the launch id (a bearer of the session): its SHA-256 prefix. */
  launch?: string;
  entities?: AuditEntity[];
  /** A stable code (`role_may_not_attest`, `stale_version`…), never a message. */
  reason?: string;
  /** Further codes and counts: read outcomes per resource type, a PDF's SHA-256, a document status. */
  detail?: Record<string, string | number | boolean>;
}

const CODE = /^[A-Za-z0-9_.:|/@+-]{1,200}$/;

/** Only codes, ids, hashes and numbers reach the trail; anything else is a programming error, caught here. */
export function checkedRecord(record: AuditRecord): AuditRecord {
  const strings = [
    record.tenantId, record.patientId, record.launch, record.reason,
    ...(record.entities ?? []).flatMap((e) => [e.type, e.id]),
    ...Object.values(record.detail ?? {}).filter((v): v is string => typeof v === 'string'),
  ];
  for (const value of strings) {
    if (value !== undefined && !CODE.test(value)) {
      throw new Error('An audit record holds only codes, ids and hashes');
    }
  }
  if (record.actor !== undefined && (record.actor.length > 500 || /\s/.test(record.actor))) {
    throw new Error('An audit actor is a fhirUser reference');
  }
  return record;
}

/** The launch id's correlation handle: enough to group a launch's events, useless as a session token. */
export const launchHandle = (launchId: string): string => crypto.createHash('sha256').update(launchId).digest('hex').slice(0, 16);

/**
 * RFC 8785 (JCS) canonical JSON for the values audit rows hold (objects, arrays, strings, finite numbers, booleans,
 * null): keys sorted by UTF-16 code units, no whitespace, numbers and strings as ECMAScript serialises them — which
 * is what JCS specifies. Hand-written because the maintained `canonicalize` package is ESM-only and the test runner
 * loads CommonJS; twelve lines are less risk than a loader workaround.
 */
/** JCS orders keys by UTF-16 code units, which is how `<` compares strings (not `localeCompare`). */
function byCodeUnits(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new Error('JCS has no representation for a non-finite number');
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => byCodeUnits(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const GENESIS_HASH = '0'.repeat(64);

/** hash_n = SHA-256(hash_{n-1} ‖ JCS({seq, recordedAt, record})): a changed, moved or missing row breaks every later link. */
export function chainHash(prevHash: string, seq: number, recordedAt: string, record: AuditRecord): string {
  return crypto.createHash('sha256').update(prevHash).update(canonicalJson({ seq, recordedAt, record })).digest('hex');
}
