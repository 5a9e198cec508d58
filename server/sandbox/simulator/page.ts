import { escapeHtml, renderPage } from '../html';
import { BANNER_SETTINGS, SIMULATED_FAULTS, WRITE_FAULTS } from '../types';
import type { SandboxPatient, SandboxPractitioner } from '../types';
import { DENIABLE_TYPES } from './launch-input';

export interface SimulatorPageInput {
  appName: string;
  practitioners: SandboxPractitioner[];
  patients: SandboxPatient[];
  /** Types a launch can make fail (the served types). */
  failableTypes: string[];
  defaultUser?: string;
}

const FAULT_LABELS: Record<(typeof SIMULATED_FAULTS)[number], string> = {
  none: 'None',
  access_denied: 'User denies access (authorize returns access_denied)',
  token_failure: 'Token endpoint fails (500, HTML body)',
  invalid_client: 'Token endpoint refuses the app (401 invalid_client: a wrong key or client type)',
  refresh_refused: 'Every refresh refused (invalid_grant): the session ends when the access token does',
  id_token_bad_signature: 'id_token with a bad signature',
  id_token_wrong_audience: 'id_token for another app (wrong aud)',
  auth_invalid_scope: 'Authorization refuses the scopes (redirects back with invalid_scope)',
  token_invalid_jti: 'Token endpoint refuses the client assertion\'s jti (401 invalid_client)',
  request_invalid_token: 'Every FHIR call answers 401 "invalid token", after a refresh too',
  request_expired_token: 'Every FHIR call answers 401 "token expired", after a refresh too',
};

const WRITE_FAULT_LABELS: Record<(typeof WRITE_FAULTS)[number] | 'none', string> = {
  none: 'None',
  'rate-limit': '429 Too Many Requests, Retry-After: 2 (nothing filed)',
  unavailable: '503 Service Unavailable, Retry-After: 2 (nothing filed)',
  'drop-after-store': 'Note filed, then the connection drops without an answer',
  slow: 'Note filed, answer 10 s late',
  unauthorized: '401: the session ends, the access token is revoked (nothing filed)',
  'server-error': '500 Internal Server Error (nothing filed)',
  'no-location': 'Note filed, answered without a Location header',
};

const BANNER_LABELS: Record<(typeof BANNER_SETTINGS)[number], string> = {
  true: 'true',
  false: 'false',
  'string-false': '"false" (a string, as Epic sends it)',
};

function option(value: string, label: string, selected = false): string {
  return `<option value="${escapeHtml(value)}"${selected ? ' selected' : ''}>${escapeHtml(label)}</option>`;
}

function select(name: string, label: string, optionsHtml: string): string {
  return `<label>${escapeHtml(label)} <select name="${name}">${optionsHtml}</select></label>`;
}

function checkboxes(name: string, legend: string, values: readonly string[]): string {
  const boxes = values
    .map((v) => `<label class="check"><input type="checkbox" name="${name}" value="${escapeHtml(v)}"> ${escapeHtml(v)}</label>`)
    .join('');
  return `<fieldset><legend>${escapeHtml(legend)}</legend>${boxes}</fieldset>`;
}

function encounterOptions(patients: SandboxPatient[]): string {
  const groups = patients.map((p) => {
    const items = p.encounterIds.map((id) => option(id, id)).join('');
    return `<optgroup label="${escapeHtml(p.name)}">${items}</optgroup>`;
  });
  return option('', "The patient's current encounter", true) + groups.join('');
}

/**
 * The EHR simulator: a minimal chart chooser. Everything shown comes from data files or configuration and is
 * escaped; the page carries no inline script or style (strict CSP).
 */
export function renderSimulatorPage(input: SimulatorPageInput): string {
  const users = input.practitioners.map((p) => option(p.id, p.name, p.id === input.defaultUser)).join('');
  const patients = input.patients.map((p) => option(p.patientId, `${p.name} (${p.scenario})`)).join('');
  const vendors = option('generic', 'Generic SMART EHR') + option('epic', 'Epic') + option('oracle', 'Oracle Health');
  const banners = BANNER_SETTINGS.map((b) => option(b, BANNER_LABELS[b])).join('');
  const faults = SIMULATED_FAULTS.map((f) => option(f, FAULT_LABELS[f])).join('');
  const writeFaults = (['none', ...WRITE_FAULTS] as const).map((f) => option(f, WRITE_FAULT_LABELS[f])).join('');
  return renderPage(
    'Sandbox EHR',
    `<header class="ehr-bar"><strong>Sandbox EHR</strong> <span>synthetic patients only</span></header>
<main class="card">
<h1>Open a chart and launch ${escapeHtml(input.appName)}</h1>
<form id="launch-form" method="post" action="/simulator/launch" target="_blank" rel="noopener">
${select('user', 'User', users)}
${select('patient', 'Patient', patients)}
${select('encounter', 'Encounter', encounterOptions(input.patients))}
${select('vendor', 'EHR behaviour', vendors)}
${select('banner', 'need_patient_banner', banners)}
${select('error', 'Simulated fault', faults)}
${select('writeFault', 'First note filed to the chart fails with', writeFaults)}
${checkboxes('deny', 'Deny access to (403)', DENIABLE_TYPES)}
${checkboxes('fail', 'Searches fail with 500', input.failableTypes)}
<label class="check"><input type="checkbox" name="embed" value="on"> Run inside the EHR window (iframe, as Epic and PowerChart do)</label>
<div class="actions"><button id="launch" type="submit">Launch ITDD Consent</button></div>
</form>
</main>`,
    { script: true },
  );
}

/** The embedded launch: a fake EHR header over an iframe running the app. */
export function renderFramePage(patientName: string, userName: string, appUrl: string): string {
  return renderPage(
    'Sandbox EHR: chart',
    `<header class="ehr-bar"><strong>Sandbox EHR</strong>
<span class="patient" id="ehr-patient">${escapeHtml(patientName)}</span>
<span class="user">${escapeHtml(userName)}</span>
<a href="/">Close chart</a></header>
<main class="frame-main"><iframe id="app-frame" class="app-frame" title="ITDD Consent" src="${escapeHtml(appUrl)}"></iframe></main>`,
  );
}
