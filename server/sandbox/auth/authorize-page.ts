import { escapeHtml, renderPage } from '../html';
import type { SandboxPatient, SandboxPractitioner } from '../types';

export interface AuthorizePageInput {
  appName: string;
  requestId: string;
  csrf: string;
  scopes: string[];
  practitioners: SandboxPractitioner[];
  patients: SandboxPatient[];
}

function options(items: { value: string; label: string }[]): string {
  return items.map((i) => `<option value="${escapeHtml(i.value)}">${escapeHtml(i.label)}</option>`).join('');
}

/**
 * The standalone-launch login and patient picker. The form carries only the server-side request id and a CSRF
 * token, never the raw authorization parameters, so nothing the app sent can be altered on the way back.
 */
export function renderAuthorizePage(input: AuthorizePageInput): string {
  const users = options(input.practitioners.map((p) => ({ value: p.id, label: p.name })));
  const patients = options(input.patients.map((p) => ({ value: p.patientId, label: `${p.name} (${p.scenario})` })));
  const scopes = input.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('');
  return renderPage(
    'Sandbox EHR: sign in',
    `<main class="card">
<h1>Sandbox EHR sign-in</h1>
<p><strong>${escapeHtml(input.appName)}</strong> asks for access to:</p>
<ul class="scopes">${scopes}</ul>
<form method="post" action="/auth/authorize/decision">
<input type="hidden" name="request" value="${escapeHtml(input.requestId)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<label>Sign in as <select name="user">${users}</select></label>
${input.scopes.includes('launch/patient') ? `<label>Patient <select name="patient">${patients}</select></label>` : ''}
<div class="actions">
<button id="approve" type="submit" name="decision" value="approve">Allow</button>
<button id="deny" type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
</main>`,
  );
}
