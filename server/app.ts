import path from 'node:path';
import express from 'express';
import type { AuditTrail } from './audit/audit-trail';
import type { AppConfig, AttestationPolicy } from './config';
import type { ContentApprovals } from './content/content-approvals';
import { DEFAULT_ATTESTATION_POLICY } from './config';
import { takeChartSnapshot } from './chart-snapshot/chart-snapshots';
import type { ChartSnapshotStore } from './chart-snapshot/snapshot-store';
import { clinicianRoutes } from './clinician/routes';
import { ChainStatusCache } from './compliance/chain-status';
import type { DashboardQueryDeps } from './compliance/dashboard-query';
import { complianceRoutes } from './compliance/routes';
import { loadChecklist } from './content/content-packs';
import { consentRoutes } from './consent/routes';
import { handoutRoutes } from './handout/routes';
import type { LazyPdfRenderer } from './handout/lazy-pdf-renderer';
import type { DiscussionStore } from './consent/discussion-store';
import { assetRoutes } from './http/assets';
import { createErrorHandler } from './http/error-handler';
import { html, renderPage } from './http/html';
import { notFound } from './errors';
import type { RateLimits } from './http/rate-limits';
import type { ReadinessCheck } from './http/readiness';
import { readinessHandler } from './http/readiness';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security-headers';
import type { AccessTokenDeps } from './launch/access-token';
import type { AppSigningKey } from './launch/app-keys';
import { launchRoutes } from './launch/routes';
import type { Logger } from './log';
import { projectRoot } from './project-root';
import type { LaunchSessionStore } from './store/launch-sessions';
import type { FilingService } from './writeback/filing';
import { filingRoutes } from './writeback/routes';

export interface AppDeps {
  config: AppConfig;
  store: LaunchSessionStore;
  discussions: DiscussionStore;
  /** The chart each launch read at its callback (sealed, in the store). */
  snapshots: ChartSnapshotStore;
  pdf: LazyPdfRenderer;
  signingKey: AppSigningKey;
  logger: Logger;
  /** The hash-chained audit trail every audited action is recorded in. */
  audit: AuditTrail;
  /** Which content versions a reviewer approved, and the archive every discussion's content reprints from. */
  content: ContentApprovals;
  /** Files discussion notes to the chart; without it the filing routes are not mounted. */
  filing?: FilingService;
  /** Request budgets per client address and per launch, counted in the store. */
  rateLimits: RateLimits;
  /** What `/readyz` checks (store, PDF renderer, EHR circuit breakers). */
  readiness: readonly ReadinessCheck[];
  /** How the app reaches each EHR with a launch's token (one object, shared with the filing service). */
  tokens: AccessTokenDeps;
  /** The store and its sealing key for the compliance dashboard's query; without it the dashboard is not mounted. */
  complianceStore?: Pick<DashboardQueryDeps, 'db' | 'box'>;
}

/** The checklist every discussion is held on (English: the one shipped; see consent/routes.ts). */
const CHECKLIST_LANGUAGE = 'en';

/** The landing page: which EHRs this deployment serves, and how to start (no data, no secrets). */
function homePage(config: AppConfig): string {
  const tenants = config.tenants.map(
    (t) => html`<li><a class="button" href="/standalone?tenant=${t.id}">Sign in through ${t.name}</a></li>`,
  );
  const compliance = config.tenants.map(
    (t) => html`<li><a class="button secondary" href="/compliance/launch?tenant=${t.id}">Compliance dashboard through ${t.name}</a></li>`,
  );
  const sandbox = config.sandbox.enabled
    ? html`<p>This copy runs on the <strong>sandbox EHR</strong> with synthetic patients. Open the
<a href="${config.sandbox.baseUrl}/">EHR simulator</a>, pick a patient and click “Launch ITDD Consent”.</p>`
    : html``;
  return renderPage({
    title: 'Start',
    body: html`<main class="home">
<h1>ITDD Consent</h1>
<p>Intrathecal drug pump education and consent-discussion records, launched from the patient's chart.</p>
${sandbox}
<h2>Standalone launch</h2>
<ul class="tenants">${tenants}</ul>
<h2>Compliance dashboard</h2>
<p>For the compliance team: sign in through your EHR (no patient is opened).</p>
<ul class="tenants">${compliance}</ul>
</main>`,
  });
}

/** Builds the Express app (no listening here, so tests can run it on any port). */
export function createApp(deps: AppDeps): express.Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  const frameOrigins = config.tenants.flatMap((t) => t.frameOrigins);
  app.use(securityHeaders(frameOrigins));
  app.use(requestLog(logger));
  // Liveness: the process answers. Readiness (can it serve a clinician now?) is `/readyz`.
  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  app.get('/readyz', readinessHandler(deps.readiness));
  app.get('/', (_req, res) => {
    res.type('html').send(homePage(config));
  });
  // The registered launch URL. Opened with `iss` or `launch` (as every EHR opens it) the server starts the sign-in at
  // once (the launch route below): a redirect, so no page or script load sits between the chart and the EHR's
  // sign-in, and nothing stays in history. Without them it is the page, whose script forwards what it was given.
  app.get('/launch.html', (req, res, next) => {
    if (req.query.iss === undefined && req.query.launch === undefined) {
      res.sendFile(path.join(projectRoot(), 'launch.html'));
    } else {
      next();
    }
  });
  app.use(assetRoutes({ production: config.env === 'production' }));
  // Budgets before any body is read or any session looked up, so a flood costs the least.
  app.use(['/launch', '/launch.html', '/standalone', '/compliance/launch'], deps.rateLimits.launch);
  app.use('/callback', deps.rateLimits.callback);
  app.use(['/api/launches/:launchId', '/app/:launchId', '/compliance/:launchId', '/api/compliance/:launchId'], deps.rateLimits.launchApi);
  app.use('/api/launches/:launchId/chart/refresh', deps.rateLimits.chartRefresh);
  app.use(express.json({ limit: '200kb', type: ['application/json'] }));
  const { filing } = deps;
  const { tokens } = deps;
  const { audit } = deps;
  const chart = { snapshots: deps.snapshots, tokens, audit };
  app.use(launchRoutes({
    ...deps,
    readChart: async (session) => {
      await takeChartSnapshot(chart, session);
    },
    ...(filing === undefined ? {} : { afterLaunch: (session) => filing.resumeAfterLaunch(session) }),
  }));
  const production = config.requireApprovedContent;
  const { content } = deps;
  const policies = new Map(config.tenants.map((t) => [t.id, t.attestation ?? DEFAULT_ATTESTATION_POLICY]));
  const attestationPolicy = (tenantId: string): AttestationPolicy => policies.get(tenantId) ?? DEFAULT_ATTESTATION_POLICY;
  app.use(clinicianRoutes({ store: deps.store, chart, discussions: deps.discussions, appBaseUrl: config.appBaseUrl, approvedPacksOnly: production, content }));
  app.use(consentRoutes({ store: deps.store, discussions: deps.discussions, appBaseUrl: config.appBaseUrl, approvedPacksOnly: production, content, chart, attestationPolicy, audit }));
  app.use(handoutRoutes({ store: deps.store, appBaseUrl: config.appBaseUrl, discussions: deps.discussions, chart, pdf: deps.pdf, requireApprovedPacks: production, content, audit, frameOrigins }));
  if (filing !== undefined) {
    app.use(filingRoutes({ store: deps.store, discussions: deps.discussions, filing, appBaseUrl: config.appBaseUrl, chart, attestationPolicy, audit }));
  }
  if (deps.complianceStore !== undefined) {
    const query: DashboardQueryDeps = { ...deps.complianceStore, checklistFor: () => loadChecklist(CHECKLIST_LANGUAGE) };
    const gaps = { config, signingKey: deps.signingKey, db: deps.complianceStore.db, audit };
    app.use(complianceRoutes({ config, store: deps.store, audit, query, chain: new ChainStatusCache(audit, logger), tokens, content, gaps }));
  }
  app.use((_req, _res, next) => {
    next(notFound('There is no such page in ITDD Consent.'));
  });
  app.use(createErrorHandler(logger));
  return app;
}
