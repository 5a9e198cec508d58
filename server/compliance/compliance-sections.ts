/**
 * The dashboard's other two sections, rendered on the server like the rest of the page (no script): content
 * approval — every content version with its state, and a form to approve a draft as a named reviewer — and the
 * documentation-gap report — a date range in, the gaps and documented procedures out, with a CSV link.
 * Every value shown is escaped by `html`; the forms carry the session's CSRF token.
 */
import type { ContentVersionStatus } from '../content/content-approvals';
import type { GapReport } from '../gap-report/gap-report';
import type { SafeHtml } from '../http/html';
import { html } from '../http/html';

function stateText(status: ContentVersionStatus): string {
  if (status.state === 'approved' && status.approval !== undefined) {
    return `approved by ${status.approval.reviewer} on ${status.approval.approvedAt.slice(0, 10)}`;
  }
  if (status.state === 'changed') {
    return `CHANGED since approved${status.approvedEarlier === undefined ? '' : ` by ${status.approvedEarlier.reviewer}`}: a draft until approved again`;
  }
  return 'draft';
}

function approveForm(launchId: string, csrf: string, status: ContentVersionStatus): SafeHtml {
  if (!status.loaded || status.state === 'approved') {
    return html``;
  }
  const id = `reviewer-${status.kind}-${status.packId}-${status.language}-${status.version}`.replace(/[^A-Za-z0-9_-]/g, '-');
  return html`<form method="post" action="/compliance/${launchId}/content/approve" class="approve">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="packId" value="${status.packId}">
<input type="hidden" name="language" value="${status.language}">
<input type="hidden" name="version" value="${status.version}">
<label for="${id}">Reviewer (name, credentials)</label>
<input id="${id}" name="reviewer" required minlength="3" maxlength="200" placeholder="Ana Ruiz, MD">
<button type="submit">Approve ${status.packId} ${status.version}</button>
</form>`;
}

export function contentApprovalSection(launchId: string, csrf: string, statuses: readonly ContentVersionStatus[]): SafeHtml {
  const rows = statuses.map((s) => html`<tr data-pack="${s.packId}" data-language="${s.language}" data-version="${s.version}" data-state="${s.state}">
<td>${s.kind}</td><td>${s.packId}</td><td>${s.language === '' ? '—' : s.language}</td><td>${s.version}</td>
<td>${s.loaded ? 'in use' : 'archived'}</td><td>${stateText(s)}</td><td><code>${s.contentHash.slice(0, 12)}</code></td>
<td>${approveForm(launchId, csrf, s)}</td></tr>`);
  return html`<p>A version is approved for its exact content (SHA-256 shown). Production prints only approved handouts;
a file changed after approval is a draft again. Approvals are recorded in the audit trail with your user.</p>
<table class="content-versions"><thead><tr><th scope="col">Kind</th><th scope="col">Pack</th><th scope="col">Language</th><th scope="col">Version</th>
<th scope="col">Use</th><th scope="col">State</th><th scope="col">Content hash</th><th scope="col">Approve</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export function gapFormSection(launchId: string, range: { from: string; to: string }): SafeHtml {
  return html`<p>Patients with an intrathecal pump procedure, done or scheduled in the range, and no ITDD discussion note filed
before it, read from the EHR through the app's backend access (see docs/compliance.md for what it does not prove).</p>
<form method="get" action="/compliance/${launchId}/gaps" class="gap-range">
<label for="gap-from">From</label><input id="gap-from" name="from" type="date" required value="${range.from}">
<label for="gap-to">To (not included)</label><input id="gap-to" name="to" type="date" required value="${range.to}">
<button type="submit">Find documentation gaps</button>
</form>`;
}

export function gapReportSection(launchId: string, report: GapReport): SafeHtml {
  const procedure = (p: GapReport['documented'][number]['procedure']): SafeHtml =>
    html`<td>${p.resourceType}/${p.id}</td><td>${p.code} ${p.display}</td><td>${p.kind}</td><td>${p.date}</td><td>${p.status}</td>`;
  const gaps = report.gaps.map((g) => html`<tr data-patient="${g.patientId}" data-reason="${g.reason}"><td>${g.patientId}</td>${procedure(g.procedure)}<td>${g.reasonText}</td></tr>`);
  const documented = report.documented.map((d) => html`<tr data-patient="${d.patientId}"><td>${d.patientId}</td>${procedure(d.procedure)}<td>${d.noteIds.join(', ')}</td></tr>`);
  const head = html`<th scope="col">Patient (FHIR id)</th><th scope="col">Record</th><th scope="col">Procedure</th><th scope="col">Kind</th><th scope="col">Date</th><th scope="col">Status</th>`;
  const notCovered = report.notCovered.length === 0 ? html`` : html`<p class="warning" role="note">Not covered: ${report.notCovered.join(', ')} (no verified code to search for).</p>`;
  return html`<h3>${report.gaps.length} gap${report.gaps.length === 1 ? '' : 's'} from ${report.from} to ${report.to} (not included)</h3>
${notCovered}
<p><a class="button secondary" id="gaps-csv" href="/compliance/${launchId}/gaps.csv?from=${report.from}&to=${report.to}">Export the gaps as CSV</a></p>
<table class="gaps"><thead><tr>${head}<th scope="col">Why it is a gap</th></tr></thead><tbody>${gaps}</tbody></table>
<h3>${report.documented.length} documented</h3>
<table class="documented"><thead><tr>${head}<th scope="col">Notes filed before it</th></tr></thead><tbody>${documented}</tbody></table>`;
}
