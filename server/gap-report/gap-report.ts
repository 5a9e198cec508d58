/**
 * The documentation-gap report: pump procedures done or scheduled in a date range whose patient had no ITDD
 * consent-discussion note on file before them. For the compliance dashboard (on screen) and `npm run gaps` (CSV).
 *
 * Interface for the dashboard:
 *
 *   const report = await buildGapReport(
 *     { tenantId: 'sandbox-generic', from: '2026-11-01', to: '2027-01-01' },   // YYYY-MM-DD; `to` is exclusive
 *     { config, signingKey, db, actor: session.fhirUser },                      // actor: the compliance user
 *   );
 *   report.gaps        GapRow[]: patientId, procedure {resourceType, id, code, display, kind, date, status, state},
 *                      reason (a code of GAP_REASONS) and reasonText, noteIds (the notes the reason is about)
 *   report.documented  DocumentedRow[]: the same procedure fields and the ids of the notes filed before it
 *   report.notCovered  procedure kinds with no verified code (today: 'trial'), to say on the page
 *   gapCsv(report)     exactly the gap rows as CSV (`gap-csv.ts`), for a download that equals the page
 *
 * It throws an AppError: `bad_request` for a bad range or a tenant without backend services, `bad_gateway` /
 * `gateway_timeout` when the EHR cannot be reached, refuses the token or answers badly (message safe to show). The
 * `gaps.reported` audit row (ids and counts only) is written before the report is returned: if it cannot be
 * written, there is no report.
 *
 * Evidence: the chart's DocumentReferences decide (the legal record, and the only place a note marked entered in
 * error by the EHR's own staff shows); the app's write ledger says which of them the app filed (recognised even if a
 * vendor dropped the note's type text) and names notes the app filed that the chart no longer returns. Patient
 * names are not read: FHIR ids identify the patients to the people who follow a gap up in the EHR.
 */
import type { AppConfig, TenantConfig } from '../config';
import { badRequest } from '../errors';
import type { AuditTrail } from '../audit/audit-trail';
import type { AppSigningKey } from '../launch/app-keys';
import { jwksUrlOf } from '../launch/launch-service';
import type { Db } from '../store/db';
import { filedDocumentsOf } from '../writeback/ledger';
import { BackendTokenSource } from './backend-token';
import { readPatientNotes, readPumpProcedures } from './ehr-reads';
import { createPinnedFhirClient } from './fhir-kit';
import type { ChartNote, DateRange, DocumentedRow, GapRow, LedgerFiling, PumpEvent } from './gap-rules';
import { chartNoteOf, findGaps, GAP_REASONS, pumpEventOf } from './gap-rules';
import type { PumpProcedureKind } from './pump-codes';
import { loadPumpCodes } from './pump-codes';

export type { DocumentedRow, GapReason, GapRow, PumpEvent } from './gap-rules';
export { GAP_REASONS } from './gap-rules';

export interface GapReportRequest {
  tenantId: string;
  /** YYYY-MM-DD, inclusive. */
  from: string;
  /** YYYY-MM-DD, exclusive. */
  to: string;
}

export interface GapReportDeps {
  config: Pick<AppConfig, 'tenants' | 'appBaseUrl'>;
  signingKey: AppSigningKey;
  /** The app's store: the write ledger to cross-check and the audit trail. */
  db: Db;
  audit: AuditTrail;
  /** The compliance user's `fhirUser`; absent for the command line. */
  actor?: string;
  /** Tests: the clock for the token cache. */
  now?: () => number;
}

export interface GapReport {
  tenantId: string;
  from: string;
  to: string;
  gaps: (GapRow & { reasonText: string })[];
  documented: DocumentedRow[];
  notCovered: readonly PumpProcedureKind[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_RANGE_DAYS = 3 * 366;
const MAX_AUDITED_PATIENTS = 500;

/** A calendar date as YYYY-MM-DD, or a bad_request naming the option. */
export function parseDay(value: string | undefined, name: string): number {
  const at = value !== undefined && DATE.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  if (value === undefined || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== value) {
    throw badRequest(`The ${name} date must be YYYY-MM-DD (got ${value === undefined ? 'nothing' : JSON.stringify(value.slice(0, 40))}).`);
  }
  return at;
}

export function rangeOf(request: Pick<GapReportRequest, 'from' | 'to'>): DateRange {
  const range = { from: parseDay(request.from, 'from'), to: parseDay(request.to, 'to') };
  if (range.to <= range.from) {
    throw badRequest('The "to" date must be after the "from" date (it is exclusive).');
  }
  if (range.to - range.from > MAX_RANGE_DAYS * 86_400_000) {
    throw badRequest('The date range may span at most three years.');
  }
  return range;
}

function tenantOf(config: GapReportDeps['config'], tenantId: string): TenantConfig {
  const tenant = config.tenants.find((t) => t.id === tenantId);
  if (tenant === undefined) {
    throw badRequest(`There is no EHR tenant "${tenantId.slice(0, 40)}" (known: ${config.tenants.map((t) => t.id).join(', ') || 'none'}).`);
  }
  if (tenant.backend === undefined) {
    throw badRequest(`The EHR ${tenant.id} has no SMART Backend Services client configured, so the gap report cannot read it.`, {
      hint: 'Add "backend": {"clientId": "…"} to the tenant in EHR_TENANTS (docs/ehr-setup.md).',
    });
  }
  return tenant;
}

export async function buildGapReport(request: GapReportRequest, deps: GapReportDeps): Promise<GapReport> {
  const range = rangeOf(request);
  const tenant = tenantOf(deps.config, request.tenantId);
  const codes = loadPumpCodes();
  const tokens = new BackendTokenSource({ tenant, signingKey: deps.signingKey, jwksUrl: jwksUrlOf(deps.config), ...(deps.now ? { now: deps.now } : {}) });
  const client = await createPinnedFhirClient({ baseUrl: tenant.iss, accessToken: (fresh) => tokens.accessToken(fresh) });

  const events: PumpEvent[] = (await readPumpProcedures(client, codes, range))
    .map((r) => pumpEventOf(r, codes, range))
    .filter((e): e is PumpEvent => e !== undefined);
  const patientIds = [...new Set(events.map((e) => e.patientId))].sort();
  const ledger: LedgerFiling[] = await filedDocumentsOf(deps.db, tenant.iss, patientIds);
  const filedIds = new Set(ledger.filter((f) => f.state !== 'entered-in-error').map((f) => f.documentId));
  const notes: ChartNote[] = (await readPatientNotes(client, patientIds))
    .map((d) => chartNoteOf(d, filedIds))
    .filter((n): n is ChartNote => n !== undefined);
  const { gaps, documented } = findGaps(events, notes, ledger);

  const gapPatients = [...new Set(gaps.map((g) => g.patientId))];
  await deps.audit.append({
    action: 'gaps.reported',
    outcome: 'success',
    tenantId: tenant.id,
    ...(deps.actor === undefined ? {} : { actor: deps.actor }),
    entities: gapPatients.slice(0, MAX_AUDITED_PATIENTS).map((id) => ({ type: 'Patient', id })),
    detail: { from: request.from, to: request.to, procedures: events.length, gaps: gaps.length, documented: documented.length, via: deps.actor === undefined ? 'cli' : 'dashboard' },
  });
  return {
    tenantId: tenant.id,
    from: request.from,
    to: request.to,
    gaps: gaps.map((g) => ({ ...g, reasonText: GAP_REASONS[g.reason] })),
    documented,
    notCovered: codes.notCovered,
  };
}
