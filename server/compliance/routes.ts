import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { AuditRecord } from '../audit/audit-record';
import { launchHandle } from '../audit/audit-record';
import type { AuditTrail } from '../audit/audit-trail';
import type { AppConfig, TenantConfig } from '../config';
import { mayReadCompliance } from '../config';
import { AppError } from '../errors';
import type { FhirHttp } from '../chart/fhir-http';
import { createFhirHttp } from '../chart/fhir-http';
import type { AccessTokenDeps } from '../launch/access-token';
import { createAccessTokenProvider } from '../launch/access-token';
import { browserSessionId } from '../launch/browser-session';
import { complianceRefusal } from '../launch/routes';
import type { LaunchSession, LaunchSessionStore } from '../store/launch-sessions';
import type { ChainStatusCache } from './chain-status';
import type { DashboardQuery } from './dashboard-filters';
import { FILTER_NAMES, parseDashboardQuery } from './dashboard-filters';
import type { DashboardPage, DashboardQueryDeps, DashboardRow } from './dashboard-query';
import { queryDashboard } from './dashboard-query';
import { renderDashboardPage } from './dashboard-page';
import { TABLE_HEADERS, csvLine, rowCells } from './dashboard-table';
import type { IntegrityResult } from './integrity';
import { checkPage } from './integrity';

/**
 * The compliance dashboard (docs/compliance.md "The compliance dashboard"):
 *   GET /compliance/:launchId                 the page (filters, paging, ?integrity=on checks the page's notes)
 *   GET /compliance/:launchId/export.csv      every discussion the filters match, as the page shows them
 *   GET /api/compliance/:launchId/discussions the same page as JSON
 * Reached only with a compliance session (a standalone launch through `/compliance/launch?tenant=`) of a user on
 * the tenant's compliance list, checked again on every request; anyone else gets the 403 page and a
 * `compliance.refused` row. Every view and export is audited. GETs change nothing but the audit trail.
 */
export interface ComplianceRouteDeps {
  config: AppConfig;
  store: LaunchSessionStore;
  audit: AuditTrail;
  query: DashboardQueryDeps;
  chain: ChainStatusCache;
  tokens: AccessTokenDeps;
}

const LAUNCH_ID = /^[A-Za-z0-9_-]{16,64}$/;
/** An export that also checks integrity reads every note from the EHR: bounded. */
const MAX_CHECKED_EXPORT = 1_000;
const MAX_EXPORT = 50_000;
const EXPORT_BATCH = 1_000;

interface ComplianceLocals {
  session: LaunchSession;
  tenant: TenantConfig;
}

const localsOf = (res: Response): ComplianceLocals => res.locals.compliance as ComplianceLocals;

function whoOf(session: LaunchSession): Pick<AuditRecord, 'tenantId' | 'actor' | 'launch'> {
  return { tenantId: session.tenantId, ...(session.fhirUser === undefined ? {} : { actor: session.fhirUser }), launch: launchHandle(session.launchId) };
}

function sessionEnded(): AppError {
  return new AppError('unauthorized', 'This compliance dashboard session has ended or belongs to another window.', {
    hint: 'Sign in again from the app\'s home page ("Compliance dashboard").',
    details: { reason: 'launch_unknown' },
  });
}

/** The compliance session of this request, for a user still on the tenant's list; else a refusal, audited. */
function requireCompliance(deps: ComplianceRouteDeps): RequestHandler {
  return async (req: Request, res: Response, next) => {
    const launchId = req.params.launchId;
    const browser = browserSessionId(req);
    if (typeof launchId !== 'string' || !LAUNCH_ID.test(launchId) || browser === undefined) {
      throw sessionEnded();
    }
    const session = await deps.store.get(launchId, browser, 'compliance');
    if (session === undefined) {
      // A chart launch's id used on the dashboard: a clinician trying the dashboard, refused and recorded.
      const clinical = await deps.store.get(launchId, browser, 'clinical');
      if (clinical !== undefined) {
        await deps.audit.append({ action: 'compliance.refused', outcome: 'refused', reason: 'clinical_launch', ...whoOf(clinical) });
        throw complianceRefusal();
      }
      throw sessionEnded();
    }
    const tenant = deps.config.tenants.find((t) => t.id === session.tenantId);
    if (tenant === undefined || !mayReadCompliance(tenant, session.fhirUser)) {
      await deps.audit.append({ action: 'compliance.refused', outcome: 'refused', reason: 'not_compliance_user', ...whoOf(session) });
      throw complianceRefusal();
    }
    res.locals.compliance = { session, tenant } satisfies ComplianceLocals;
    next();
  };
}

function fhirFor(deps: ComplianceRouteDeps, session: LaunchSession): FhirHttp {
  const provider = createAccessTokenProvider(deps.tokens, session);
  return createFhirHttp({
    baseUrl: session.fhirBaseUrl,
    getAccessToken: () => provider.getAccessToken(),
    onUnauthorized: () => provider.refreshAfterUnauthorized(),
  });
}

/** The filters as audit codes (they are ids, codes and dates, validated by the filter schema). */
function filterDetail(query: DashboardQuery): Record<string, string | number | boolean> {
  const detail: Record<string, string | number | boolean> = {};
  for (const name of FILTER_NAMES) {
    const value = query.filters[name];
    if (value !== undefined) {
      detail[`filter.${name}`] = value;
    }
  }
  return detail;
}

function integrityCounts(results: Map<string, IntegrityResult> | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results?.values() ?? []) {
    counts[`integrity.${result.state}`] = (counts[`integrity.${result.state}`] ?? 0) + 1;
  }
  return counts;
}

interface CheckedPage {
  query: DashboardQuery;
  page: DashboardPage;
  integrity: Map<string, IntegrityResult> | undefined;
}

async function loadPage(deps: ComplianceRouteDeps, req: Request, session: LaunchSession): Promise<CheckedPage> {
  const query = parseDashboardQuery(req.query);
  const page = await queryDashboard(deps.query, session.tenantId, query.filters, query.after);
  const integrity = query.integrity ? await checkPage(fhirFor(deps, session), page.rows) : undefined;
  await deps.audit.append({
    action: 'compliance.viewed',
    outcome: 'success',
    ...whoOf(session),
    detail: { rows: page.rows.length, integrity: query.integrity, ...filterDetail(query), ...integrityCounts(integrity) },
  });
  return { query, page, integrity };
}

function pageHandler(deps: ComplianceRouteDeps): RequestHandler {
  return async (req, res) => {
    const { session, tenant } = localsOf(res);
    const { query, page, integrity } = await loadPage(deps, req, session);
    const chain = await deps.chain.current();
    res.set('Cache-Control', 'no-store').type('html').send(renderDashboardPage({
      launchId: session.launchId, tenantName: tenant.name, user: session.fhirUser ?? '', query, page, integrity, chain,
    }));
  };
}

function jsonRow(row: DashboardRow, integrity: IntegrityResult | undefined): Record<string, unknown> {
  return {
    discussionId: row.discussionId,
    createdAt: row.createdAt.toISOString(),
    patientId: row.patientId,
    encounterId: row.encounterId,
    clinician: row.clinician,
    status: row.status,
    pack: row.pack,
    checklist: row.summary.checklist,
    teachBack: row.summary.teachBack,
    interpreter: row.summary.interpreter,
    attestedBy: row.attestedBy,
    attestedAt: row.attestedAt?.toISOString() ?? null,
    documentId: row.filing?.documentId ?? null,
    integrity: integrity ?? null,
    cells: rowCells(row, integrity),
  };
}

function apiHandler(deps: ComplianceRouteDeps): RequestHandler {
  return async (req, res) => {
    const { session } = localsOf(res);
    const { page, integrity } = await loadPage(deps, req, session);
    const chain = await deps.chain.current();
    res.set('Cache-Control', 'no-store').json({
      headers: TABLE_HEADERS,
      rows: page.rows.map((row) => jsonRow(row, integrity?.get(row.discussionId))),
      next: page.next === undefined ? null : { createdAt: page.next.createdAt.toISOString(), id: page.next.id },
      chain: { state: chain.state, rows: chain.rows, checkedAt: chain.checkedAt.toISOString(), firstBad: chain.firstBad ?? null },
    });
  };
}

function tooMany(limit: number): AppError {
  return new AppError('unprocessable', `More than ${limit} discussions match these filters: narrow them (a date range) and export again.`, {
    details: { reason: 'export_too_large', limit },
  });
}

/** Every matching row, through the page query in batches (the same filters, the same order, the same cells). */
function exportHandler(deps: ComplianceRouteDeps): RequestHandler {
  return async (req, res) => {
    const { session } = localsOf(res);
    const query = parseDashboardQuery(req.query);
    const limit = query.integrity ? MAX_CHECKED_EXPORT : MAX_EXPORT;
    const rows: DashboardRow[] = [];
    let after = undefined as DashboardQuery['after'];
    for (;;) {
      const batch = await queryDashboard(deps.query, session.tenantId, query.filters, after, EXPORT_BATCH);
      rows.push(...batch.rows);
      if (rows.length > limit) {
        throw tooMany(limit);
      }
      if (batch.next === undefined) {
        break;
      }
      after = batch.next;
    }
    const integrity = query.integrity ? await checkPage(fhirFor(deps, session), rows) : undefined;
    await deps.audit.append({
      action: 'compliance.exported',
      outcome: 'success',
      ...whoOf(session),
      detail: { rows: rows.length, integrity: query.integrity, format: 'csv', ...filterDetail(query), ...integrityCounts(integrity) },
    });
    const csv = [csvLine(TABLE_HEADERS), ...rows.map((row) => csvLine(rowCells(row, integrity?.get(row.discussionId))))].join('');
    const day = new Date().toISOString().slice(0, 10);
    res.set('Cache-Control', 'no-store')
      .set('Content-Disposition', `attachment; filename="itdd-discussions-${day}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(csv);
  };
}


export function complianceRoutes(deps: ComplianceRouteDeps): Router {
  const router = Router();
  const guard = requireCompliance(deps);
  router.get('/compliance/:launchId', guard, pageHandler(deps));
  router.get('/compliance/:launchId/export.csv', guard, exportHandler(deps));
  router.get('/api/compliance/:launchId/discussions', guard, apiHandler(deps));
  return router;
}
