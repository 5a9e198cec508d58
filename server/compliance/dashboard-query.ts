/**
 * The one query behind the dashboard page, its JSON API and its CSV export: the discussions of one tenant that match
 * the filters, newest first, in keyset pages (`(created_at, id) < cursor`), each with its current write intent
 * (document id, hashes). Every filter is a plain, indexed column (migrations 002 and 006), so a filtered page costs an
 * index range scan at 100 000 discussions, not a table scan. The clinical content stays sealed until a row is shown:
 * only the page's rows are opened, to count the checklist and read the teach-back and interpreter codes.
 */
import type { Db } from '../store/db';
import type { SealedBox } from '../store/sealed-box';
import type { Checklist } from '../content/checklist-schema';
import type { DiscussionRow } from '../consent/discussion-rows';
import { discussionFromRow } from '../consent/discussion-rows';
import type { DiscussionSummary } from '../consent/discussion-summary';
import { summarizeDiscussion } from '../consent/discussion-summary';
import type { DashboardFilters, DashboardStatus, PageCursor } from './dashboard-filters';
import { PAGE_SIZE } from './dashboard-filters';

export interface DashboardRow {
  discussionId: string;
  createdAt: Date;
  patientId: string;
  encounterId: string | null;
  clinician: string;
  status: DashboardStatus;
  pack: { id: string; version: string; language: string };
  summary: DiscussionSummary;
  attestedBy: string | null;
  attestedAt: Date | null;
  /** The current write intent's filing, when there is one. */
  filing: { intentId: string; state: string; documentId: string | null; fhirBaseUrl: string; noteSha256: string; pdfSha256: string | null } | null;
}

export interface DashboardPage {
  rows: DashboardRow[];
  /** Where the next page starts; undefined on the last page. */
  next?: PageCursor;
}

/** The SQL condition of each dashboard status over the record's status and its filing's state. */
const STATUS_CONDITION: Readonly<Record<DashboardStatus, string>> = {
  draft: `d.status = 'draft'`,
  attested: `d.status = 'attested' AND d.filing_state IS NULL`,
  pending: `d.status = 'attested' AND d.filing_state IN ('pending', 'sent', 'unknown')`,
  filed: `d.status = 'attested' AND d.filing_state IN ('confirmed', 'reconciled')`,
  failed: `d.status = 'attested' AND d.filing_state = 'failed'`,
  'entered-in-error': `d.status = 'attested' AND d.filing_state = 'entered-in-error'`,
};

export function dashboardStatusOf(status: string, filingState: string | null): DashboardStatus {
  if (status === 'draft') {
    return 'draft';
  }
  switch (filingState) {
    case null:
      return 'attested';
    case 'confirmed':
    case 'reconciled':
      return 'filed';
    case 'failed':
      return 'failed';
    case 'entered-in-error':
      return 'entered-in-error';
    default:
      return 'pending';
  }
}

const DAY_MS = 86_400_000;

/** WHERE clause and parameters for a tenant, filters and cursor ($1 is the tenant). */
export function whereOf(tenantId: string, filters: DashboardFilters, after: PageCursor | undefined): { sql: string; params: unknown[] } {
  const params: unknown[] = [tenantId];
  const conditions = ['d.tenant_id = $1'];
  const add = (condition: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filters.from !== undefined) {
    add((p) => `d.created_at >= ${p}`, new Date(`${filters.from}T00:00:00Z`));
  }
  if (filters.to !== undefined) {
    add((p) => `d.created_at < ${p}`, new Date(new Date(`${filters.to}T00:00:00Z`).getTime() + DAY_MS));
  }
  if (filters.clinician !== undefined) {
    add((p) => `d.clinician = ${p}`, filters.clinician);
  }
  if (filters.patient !== undefined) {
    add((p) => `d.patient_id = ${p}`, filters.patient);
  }
  if (filters.version !== undefined) {
    add((p) => `d.pack_version = ${p}`, filters.version);
  }
  if (filters.language !== undefined) {
    add((p) => `d.pack_language = ${p}`, filters.language);
  }
  if (filters.status !== undefined) {
    conditions.push(STATUS_CONDITION[filters.status]);
  }
  if (after !== undefined) {
    params.push(after.createdAt, after.id);
    conditions.push(`(d.created_at, d.id) < ($${params.length - 1}, $${params.length}::uuid)`);
  }
  return { sql: conditions.join(' AND '), params };
}

interface JoinedRow extends DiscussionRow {
  filing_state: string | null;
  w_id: string | null;
  w_state: string | null;
  w_document_id: string | null;
  w_fhir_base_url: string | null;
  w_note_sha256: string | null;
  w_pdf_sha256: string | null;
}

export interface DashboardQueryDeps {
  db: Db;
  box: SealedBox;
  /** The checklist a record's completion is counted against (by the record's language). */
  checklistFor(language: string): Checklist;
}

/**
 * One page of discussions. `limit` defaults to the page size (100); the export asks for larger batches.
 */
export async function queryDashboard(
  deps: DashboardQueryDeps,
  tenantId: string,
  filters: DashboardFilters,
  after: PageCursor | undefined,
  limit: number = PAGE_SIZE,
): Promise<DashboardPage> {
  const where = whereOf(tenantId, filters, after);
  const rows = await deps.db.query<JoinedRow>(
    `SELECT d.*, w.id AS w_id, w.state AS w_state, w.document_id AS w_document_id, w.fhir_base_url AS w_fhir_base_url,
            w.note_sha256 AS w_note_sha256, w.pdf_sha256 AS w_pdf_sha256
     FROM discussions d
     LEFT JOIN LATERAL (
       SELECT * FROM write_intents wi WHERE wi.discussion_id = d.id
       ORDER BY (wi.state <> 'entered-in-error') DESC, wi.created_at DESC, wi.id DESC LIMIT 1
     ) w ON true
     WHERE ${where.sql}
     ORDER BY d.created_at DESC, d.id DESC
     LIMIT ${limit + 1}`,
    where.params,
  );
  const page = rows.slice(0, limit).map((row) => toDashboardRow(deps, row));
  const last = page[page.length - 1];
  return rows.length > limit && last !== undefined ? { rows: page, next: { createdAt: last.createdAt, id: last.discussionId } } : { rows: page };
}

function toDashboardRow(deps: DashboardQueryDeps, row: JoinedRow): DashboardRow {
  const discussion = discussionFromRow(deps.box, row);
  return {
    discussionId: row.id,
    createdAt: row.created_at,
    patientId: row.patient_id,
    encounterId: row.encounter_id,
    clinician: row.clinician,
    status: dashboardStatusOf(row.status, row.filing_state),
    pack: { id: row.pack_id, version: row.pack_version, language: row.pack_language },
    summary: summarizeDiscussion(discussion, deps.checklistFor(row.pack_language)),
    attestedBy: row.attested_by,
    attestedAt: row.attested_at,
    filing: row.w_id === null
      ? null
      : {
          intentId: row.w_id,
          state: row.w_state ?? 'pending',
          documentId: row.w_document_id,
          fhirBaseUrl: row.w_fhir_base_url ?? '',
          noteSha256: row.w_note_sha256 ?? '',
          pdfSha256: row.w_pdf_sha256,
        },
  };
}
