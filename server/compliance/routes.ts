import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import express, { Router } from 'express';
import { z } from 'zod';
import type { AuditRecord } from '../audit/audit-record';
import { launchHandle } from '../audit/audit-record';
import type { AuditTrail } from '../audit/audit-trail';
import type { AppConfig, TenantConfig } from '../config';
import { mayReadCompliance } from '../config';
import { AppError, badRequest } from '../errors';
import type { FhirHttp } from '../chart/fhir-http';
import { fhirHttpFor } from '../chart-snapshot/read-snapshot';
import type { ContentApprovals } from '../content/content-approvals';
import { gapCsv } from '../gap-report/gap-csv';
import type { GapReport, GapReportDeps } from '../gap-report/gap-report';
import { buildGapReport } from '../gap-report/gap-report';
import { html } from '../http/html';
import type { AccessTokenDeps } from '../launch/access-token';
import { browserSessionId } from '../launch/browser-session';
import { complianceRefusal } from '../launch/routes';
import type { LaunchSession, LaunchSessionStore } from '../store/launch-sessions';
import type { ChainStatusCache } from './chain-status';
import type { DashboardQuery } from './dashboard-filters';
import { FILTER_NAMES, parseDashboardQuery } from './dashboard-filters';
import type { DashboardPage, DashboardQueryDeps, DashboardRow } from './dashboard-query';
import { queryDashboard } from './dashboard-query';
import { contentApprovalSection, gapFormSection, gapReportSection } from './compliance-sections';
import { renderDashboardPage, renderGapPage } from './dashboard-page';
import { TABLE_HEADERS, csvLine, rowCells } from './dashboard-table';
import type { IntegrityResult } from './integrity';
import { checkPage } from './integrity';

/**
 * The compliance dashboard (docs/compliance.md "The compliance dashboard"):
 *   GET /compliance/:launchId                 the page (filters, paging, ?integrity=on checks the page's notes)
 *   GET /compliance/:launchId/export.csv      every discussion the filters match, as the page shows them
 *   GET /api/compliance/:launchId/discussions the same page as JSON
 *   GET /compliance/:launchId/gaps?from&to     the documentation-gap report (SMART Backend Services), and `gaps.csv`
 *   POST /compliance/:launchId/content/approve a named reviewer approves a content version (form; CSRF in the form)
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
  /** Content versions and their approvals (the "Content approval" section). */
  content: ContentApprovals;
  /** The documentation-gap report over SMART Backend Services (the "Documentation gaps" section). */
  gaps: Omit<GapReportDeps, 'actor'>;
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

/** The compliance user's FHIR client: the same as a chart launch's (token refresh, breaker, base pinned). */
function fhirFor(deps: ComplianceRouteDeps, session: LaunchSession): FhirHttp {
  return fhirHttpFor(deps.tokens, session);
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
      contentApproval: contentApprovalSection(session.launchId, session.csrfToken, await deps.content.list()),
      documentationGaps: gapFormSection(session.launchId, defaultGapRange(new Date())),
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

/** The last 90 days and the next 90: what has just been done and what is booked. */
function defaultGapRange(now: Date): { from: string; to: string } {
  const day = (offset: number): string => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  return { from: day(-90), to: day(90) };
}

const approveForm = z.strictObject({
  csrf: z.string().max(200),
  packId: z.string().min(1).max(120),
  language: z.string().max(10),
  version: z.string().min(1).max(40),
  reviewer: z.string().max(300),
});

/** A server-rendered form cannot send a header: the CSRF token comes in the form, and the Origin must be the app's. */
function checkFormCsrf(deps: ComplianceRouteDeps, req: Request, session: LaunchSession, token: string): void {
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(token);
  if (req.get('origin') !== new URL(deps.config.appBaseUrl).origin || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new AppError('forbidden', 'This request did not come from the compliance dashboard, so it was refused.', { details: { reason: 'csrf' } });
  }
}

function approveHandler(deps: ComplianceRouteDeps): RequestHandler {
  return async (req, res) => {
    const { session } = localsOf(res);
    const parsed = approveForm.safeParse(req.body);
    if (!parsed.success) {
      throw badRequest('The approval form could not be read.', { details: { reason: 'bad_form' } });
    }
    checkFormCsrf(deps, req, session, parsed.data.csrf);
    await deps.content.approve({
      packId: parsed.data.packId,
      ...(parsed.data.language === '' ? {} : { language: parsed.data.language }),
      version: parsed.data.version,
      reviewer: parsed.data.reviewer,
      approvedBy: session.fhirUser ?? '',
    });
    res.redirect(303, `/compliance/${session.launchId}#content-approval`);
  };
}

async function gapReportOf(deps: ComplianceRouteDeps, req: Request, session: LaunchSession): Promise<GapReport> {
  const from = typeof req.query.from === 'string' ? req.query.from : '';
  const to = typeof req.query.to === 'string' ? req.query.to : '';
  return buildGapReport({ tenantId: session.tenantId, from, to }, { ...deps.gaps, ...(session.fhirUser === undefined ? {} : { actor: session.fhirUser }) });
}

function gapPageHandler(deps: ComplianceRouteDeps): RequestHandler {
  return async (req, res) => {
    const { session, tenant } = localsOf(res);
    const report = await gapReportOf(deps, req, session);
    const body = html`${gapFormSection(session.launchId, { from: report.from, to: report.to })}${gapReportSection(session.launchId, report)}`;
    res.set('Cache-Control', 'no-store').type('html').send(renderGapPage({ launchId: session.launchId, tenantName: tenant.name, user: session.fhirUser ?? '', body }));
  };
}

function gapCsvHandler(deps: ComplianceRouteDeps): RequestHandler {
  return async (req, res) => {
    const { session } = localsOf(res);
    const report = await gapReportOf(deps, req, session);
    res.set('Cache-Control', 'no-store')
      .set('Content-Disposition', `attachment; filename="itdd-documentation-gaps-${report.from}-${report.to}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(gapCsv(report));
  };
}

export function complianceRoutes(deps: ComplianceRouteDeps): Router {
  const router = Router();
  const guard = requireCompliance(deps);
  router.get('/compliance/:launchId', guard, pageHandler(deps));
  router.get('/compliance/:launchId/export.csv', guard, exportHandler(deps));
  router.get('/api/compliance/:launchId/discussions', guard, apiHandler(deps));
  router.get('/compliance/:launchId/gaps', guard, gapPageHandler(deps));
  router.get('/compliance/:launchId/gaps.csv', guard, gapCsvHandler(deps));
  router.post('/compliance/:launchId/content/approve', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), guard, approveHandler(deps));
  return router;
}
