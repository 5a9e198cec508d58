/**
 * The compliance dashboard page (server-rendered, no inline script, every value escaped by the `html` template):
 * the audit chain's status, the discussions with their filters, paging, the on-demand integrity check and the CSV
 * export, and the places for the other compliance sections. Sections are tabs in one `<nav>` and one `<section>`
 * each (`data-tab`), so a new section is one more entry.
 */
import type { SafeHtml } from '../http/html';
import { html, renderPage } from '../http/html';
import type { ChainStatus } from './chain-status';
import type { DashboardFilters, DashboardQuery } from './dashboard-filters';
import { DASHBOARD_STATUSES, encodeCursor, filtersQueryString } from './dashboard-filters';
import type { DashboardPage } from './dashboard-query';
import { TABLE_HEADERS, rowCells } from './dashboard-table';
import type { IntegrityResult } from './integrity';

export interface DashboardPageInput {
  launchId: string;
  tenantName: string;
  user: string;
  query: DashboardQuery;
  page: DashboardPage;
  integrity: Map<string, IntegrityResult> | undefined;
  chain: ChainStatus;
  /** The content-approval and documentation-gap sections (compliance-sections.ts). */
  contentApproval: SafeHtml;
  documentationGaps: SafeHtml;
}

/** The compliance sections (content approval and documentation gaps are rendered in compliance-sections.ts). */
const TABS = [
  { id: 'discussions', label: 'Discussions' },
  { id: 'content-approval', label: 'Content approval' },
  { id: 'documentation-gaps', label: 'Documentation gaps' },
] as const;

function chainBanner(chain: ChainStatus): SafeHtml {
  const at = chain.checkedAt.toISOString();
  switch (chain.state) {
    case 'intact':
      return html`<p class="chain chain-intact" data-field="chain" data-state="intact">Audit trail: <strong>chain intact</strong> (${chain.rows} rows, verified ${at}).</p>`;
    case 'broken':
      return html`<p class="chain chain-broken" role="alert" data-field="chain" data-state="broken">Audit trail: <strong>chain BROKEN</strong> at row ${chain.firstBad?.seq ?? '?'} (${chain.firstBad?.problem ?? 'unknown'}), verified ${at}. Tell your compliance officer and keep the database as it is.</p>`;
    case 'unknown':
      return html`<p class="chain chain-unknown" role="alert" data-field="chain" data-state="unknown">Audit trail: <strong>could not be verified</strong> just now (${at}). Try again; if it persists, run <code>npm run audit -- verify</code>.</p>`;
  }
}

function field(name: keyof DashboardFilters, label: string, value: string | undefined, type = 'text'): SafeHtml {
  return html`<label>${label} <input type="${type}" name="${name}" value="${value ?? ''}"></label>`;
}

function filterForm(launchId: string, filters: DashboardFilters): SafeHtml {
  const statuses = DASHBOARD_STATUSES.map((s) => html`<option value="${s}"${filters.status === s ? html` selected` : ''}>${s.replaceAll('-', ' ')}</option>`);
  return html`<form class="filters" method="get" action="/compliance/${launchId}" aria-label="Filter the discussions">
${field('from', 'From', filters.from, 'date')}
${field('to', 'To', filters.to, 'date')}
${field('clinician', 'Clinician (fhirUser)', filters.clinician)}
${field('patient', 'Patient (FHIR id)', filters.patient)}
<label>Status <select name="status"><option value="">any</option>${statuses}</select></label>
${field('version', 'Content version', filters.version)}
${field('language', 'Language', filters.language)}
<button type="submit">Apply filters</button>
<a href="/compliance/${launchId}">Clear</a>
</form>`;
}

function table(input: DashboardPageInput): SafeHtml {
  if (input.page.rows.length === 0) {
    return html`<p class="empty" data-field="no-rows">No discussion matches these filters.</p>`;
  }
  const head = TABLE_HEADERS.map((h) => html`<th scope="col">${h}</th>`);
  const body = input.page.rows.map((row) => {
    const cells = rowCells(row, input.integrity?.get(row.discussionId));
    const state = input.integrity?.get(row.discussionId)?.state ?? 'unchecked';
    return html`<tr data-discussion="${row.discussionId}" data-integrity="${state}">${cells.map((c) => html`<td>${c}</td>`)}</tr>`;
  });
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="Discussions table (scrolls sideways)"><table class="discussions" data-field="discussions">
<caption>Discussions, newest first (${input.page.rows.length} on this page)</caption>
<thead><tr>${head}</tr></thead>
<tbody>${body}</tbody>
</table></div>`;
}

function actions(input: DashboardPageInput): SafeHtml {
  const { launchId, query } = input;
  const cursor: Record<string, string> = query.after === undefined ? {} : { after: encodeCursor(query.after) };
  const check = filtersQueryString(query.filters, { ...cursor, integrity: 'on' });
  return html`<p class="actions">
<a class="button" id="check-integrity" href="/compliance/${launchId}${check}">Check this page against the chart</a>
<a class="button secondary" id="export-csv" href="/compliance/${launchId}/export.csv${filtersQueryString(query.filters, query.integrity ? { integrity: 'on' } : {})}">Export CSV (every matching discussion)</a>
</p>`;
}

function paging(input: DashboardPageInput): SafeHtml {
  const { launchId, query, page } = input;
  const first = query.after === undefined ? html`` : html`<a id="first-page" href="/compliance/${launchId}${filtersQueryString(query.filters)}">First page</a>`;
  const next = page.next === undefined ? html`` : html`<a id="next-page" rel="next" href="/compliance/${launchId}${filtersQueryString(query.filters, { after: encodeCursor(page.next) })}">Next page</a>`;
  return html`<nav class="paging" aria-label="Pages">${first} ${next}</nav>`;
}

/** The documentation-gap report on a page of its own (it reads the EHR, so it runs only when asked). */
export function renderGapPage(input: { launchId: string; tenantName: string; user: string; body: SafeHtml }): string {
  return renderPage({
    title: 'Documentation gaps',
    body: html`<main class="compliance" aria-labelledby="gaps-title">
<header>
<h1 id="gaps-title">Documentation gaps</h1>
<p>Signed in as <code data-field="user">${input.user}</code> · ${input.tenantName} · <a href="/compliance/${input.launchId}#documentation-gaps">Back to the dashboard</a></p>
</header>
${input.body}
</main>`,
  });
}

export function renderDashboardPage(input: DashboardPageInput): string {
  const tabs = TABS.map((t, i) => html`<a href="#${t.id}" data-tab-link="${t.id}"${i === 0 ? html` aria-current="page"` : ''}>${t.label}</a>`);
  return renderPage({
    title: 'Compliance dashboard',
    body: html`<main class="compliance" aria-labelledby="dashboard-title">
<header>
<h1 id="dashboard-title">Compliance dashboard</h1>
<p>Signed in as <code data-field="user">${input.user}</code> · ${input.tenantName}</p>
${chainBanner(input.chain)}
</header>
<nav class="tabs" aria-label="Compliance sections">${tabs}</nav>
<section id="discussions" data-tab="discussions" aria-labelledby="discussions-title">
<h2 id="discussions-title">Discussions</h2>
${filterForm(input.launchId, input.query.filters)}
${actions(input)}
${table(input)}
${paging(input)}
</section>
<section id="content-approval" data-tab="content-approval" aria-labelledby="content-approval-title">
<h2 id="content-approval-title">Content approval</h2>
${input.contentApproval}
</section>
<section id="documentation-gaps" data-tab="documentation-gaps" aria-labelledby="documentation-gaps-title">
<h2 id="documentation-gaps-title">Documentation gaps</h2>
${input.documentationGaps}
</section>
</main>`,
  });
}
