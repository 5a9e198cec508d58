import path from 'node:path';
import express from 'express';
import type { AuditTrail } from './audit/audit-trail';
import type { AppConfig, AttestationPolicy } from './config';
import { DEFAULT_ATTESTATION_POLICY } from './config';
import { takeChartSnapshot } from './chart-snapshot/chart-snapshots';
import type { ChartSnapshotStore } from './chart-snapshot/snapshot-store';
import { clinicianRoutes } from './clinician/routes';
import { consentRoutes } from './consent/routes';
import { handoutRoutes } from './handout/routes';
import type { LazyPdfRenderer } from './handout/lazy-pdf-renderer';
import type { DiscussionStore } from './consent/discussion-store';
import { createErrorHandler } from './http/error-handler';
import { html, renderPage } from './http/html';
import { notFound } from './errors';
import { requestLog } from './http/request-log';
import { securityHeaders } from './http/security-headers';
import type { AppSigningKey } from './launch/app-keys';
import { jwksUrlOf } from './launch/launch-service';
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
  /** Files discussion notes to the chart; without it the filing routes are not mounted. */
  filing?: FilingService;
}

/** The landing page: which EHRs this deployment serves, and how to start (no data, no secrets). */
function homePage(config: AppConfig): string {
  const tenants = config.tenants.map(
    (t) => html`<li><a class="button" href="/standalone?tenant=${t.id}">Sign in through ${t.name}</a></li>`,
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
</main>`,
  });
}

/** Builds the Express app (no listening here, so tests can run it on any port). */
export function createApp(deps: AppDeps): express.Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  const frameOrigins = config.tenants.flatMap((t) => t.frameOrigins);
  app.use(securityHeaders(frameOrigins));
  app.use(requestLog(logger));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/', (_req, res) => {
    res.type('html').send(homePage(config));
  });
  app.use('/assets', express.static(path.join(projectRoot(), 'dist', 'client'), { fallthrough: true, index: false }));
  app.use('/assets', express.static(path.join(projectRoot(), 'client', 'public'), { index: false }));
  app.use(express.json({ limit: '200kb', type: ['application/json'] }));
  const { filing } = deps;
  const tokens = { store: deps.store, signingKey: deps.signingKey, clientId: config.clientId, jwksUrl: jwksUrlOf(config), logger };
  const { audit } = deps;
  const chart = { snapshots: deps.snapshots, tokens, audit };
  app.use(launchRoutes({
    ...deps,
    readChart: async (session) => {
      await takeChartSnapshot(chart, session);
    },
    ...(filing === undefined ? {} : { afterLaunch: (session) => filing.resumeAfterLaunch(session) }),
  }));
  const production = config.env === 'production';
  const policies = new Map(config.tenants.map((t) => [t.id, t.attestation ?? DEFAULT_ATTESTATION_POLICY]));
  const attestationPolicy = (tenantId: string): AttestationPolicy => policies.get(tenantId) ?? DEFAULT_ATTESTATION_POLICY;
  app.use(clinicianRoutes({ store: deps.store, chart, discussions: deps.discussions, appBaseUrl: config.appBaseUrl, approvedPacksOnly: production }));
  app.use(consentRoutes({ store: deps.store, discussions: deps.discussions, appBaseUrl: config.appBaseUrl, approvedPacksOnly: production, chart, attestationPolicy, audit }));
  app.use(handoutRoutes({ store: deps.store, discussions: deps.discussions, chart, pdf: deps.pdf, requireApprovedPacks: production, audit, frameOrigins }));
  if (filing !== undefined) {
    app.use(filingRoutes({ store: deps.store, discussions: deps.discussions, filing, appBaseUrl: config.appBaseUrl, chart, attestationPolicy, audit }));
  }
  app.use((_req, _res, next) => {
    next(notFound('There is no such page in ITDD Consent.'));
  });
  app.use(createErrorHandler(logger));
  return app;
}
