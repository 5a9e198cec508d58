import type { PatientContext } from '../server/chart/patient-context';
import { chartReadCard } from './chart-refresh';
import { mountChecklist } from './checklist-view';
import { chartText, el } from './dom';
import { mountFiling } from './filing-view';
import { mountHandout } from './handout-view';

/**
 * The clinician's first view of a launch: patient banner, the chart facts the handout will be tailored on, and
 * what could not be read. Everything is fetched from the app's own server; no EHR token is ever in this page.
 */
interface ReadNote {
  read: string;
  state: 'not-authorized' | 'failed' | 'not-in-context';
  text: string;
}

interface ContextResponse {
  showPatientBanner: boolean;
  user: { fhirUser: string | null; name: string | null };
  context: PatientContext;
  readNotes: ReadNote[];
  chartRead?: { readAt: string; sha256: string };
}

const launchId = document.querySelector<HTMLMetaElement>('meta[name="itdd-launch"]')?.content ?? '';
const csrfToken = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
const root = document.getElementById('app');
/** What the last "Refresh from the chart" found, shown on the Chart tab after it re-renders. */
let lastChanges: string[] = [];

function banner(ctx: PatientContext): HTMLElement {
  const p = ctx.patient;
  if (p === undefined) {
    return el('section', { class: 'banner', 'data-section': 'banner' }, 'The patient record could not be read.');
  }
  const fact = (label: string, field: string, value: string | undefined): HTMLElement =>
    el('div', { class: 'fact' }, el('span', { class: 'label' }, label), chartText(field, value ?? 'not recorded'));
  return el(
    'section',
    { class: 'banner', 'data-section': 'banner', 'aria-label': 'Patient' },
    el('h1', {}, chartText('patient-name', p.name ?? 'Name not recorded')),
    el(
      'div',
      { class: 'facts' },
      fact('Born', 'birth-date', p.birthDate),
      fact('Age', 'age', p.ageYears === undefined ? undefined : String(p.ageYears)),
      fact('Sex', 'sex', p.sex),
      fact('MRN', 'mrn', p.mrn),
      fact('Language', 'language', p.preferredLanguage?.display ?? p.preferredLanguage?.code),
    ),
  );
}

/** A read that was refused or failed says so; only a successful, empty read says "None recorded". */
function sectionBody<T>(items: T[], note: ReadNote | undefined, render: (item: T) => Array<Node | string>): Node {
  if (note !== undefined) {
    return el('p', { class: `read-note ${note.state}`, 'data-read-state': note.state }, note.text);
  }
  if (items.length === 0) {
    return el('p', { class: 'none' }, 'None recorded.');
  }
  return el('ul', {}, ...items.map((item) => el('li', {}, ...render(item))));
}

function listSection<T>(
  title: string,
  section: string,
  items: T[],
  note: ReadNote | undefined,
  render: (item: T) => Array<Node | string>,
): HTMLElement {
  return el('section', { class: 'card', 'data-section': section }, el('h2', {}, title), sectionBody(items, note, render));
}

function status(value: string | undefined): Node | string {
  return value === undefined || value === 'active' ? '' : el('span', { class: 'status' }, ` (${value})`);
}

function render(data: ContextResponse): void {
  const ctx = data.context;
  const note = (read: string): ReadNote | undefined => data.readNotes.find((n) => n.read === read);
  const user = el('p', { class: 'user' }, 'Signed in as ', chartText('user-name', data.user.name ?? data.user.fhirUser ?? 'unknown user'));
  const views = [
    listSection('Conditions', 'conditions', ctx.conditions, note('conditions'), (c) => [chartText('condition', c.display), status(c.clinicalStatus)]),
    listSection('Medications', 'medications', ctx.medications, note('medicationRequests'), (m) => [chartText('medication', m.display), status(m.status)]),
    listSection('Allergies', 'allergies', ctx.allergies, note('allergies'), (a) => [chartText('allergy', a.display)]),
    listSection('Procedures', 'procedures', ctx.procedures, note('procedures'), (p) => [chartText('procedure', p.display), status(p.status)]),
    listSection('Devices', 'devices', ctx.devices, note('devices'), (d) => [chartText('device', d.display)]),
  ];
  const results = [
    { label: 'HbA1c', field: 'hba1c', value: ctx.latestHbA1c === undefined ? undefined : `${ctx.latestHbA1c.value} ${ctx.latestHbA1c.unit ?? ''}`.trim() },
    { label: 'Pain score', field: 'pain-score', value: ctx.latestPainScore === undefined ? undefined : String(ctx.latestPainScore.value) },
  ];
  const labs = el(
    'section',
    { class: 'card', 'data-section': 'observations' },
    el('h2', {}, 'Results'),
    sectionBody(results, note('observations'), (r) => [`${r.label}: `, chartText(r.field, r.value ?? 'none recorded')]),
  );
  const notes = data.readNotes.length === 0
    ? null
    : el('section', { class: 'card warnings', 'data-section': 'read-notes' }, el('h2', {}, 'Not shown'), el('ul', {}, ...data.readNotes.map((n) => el('li', { 'data-read': n.read }, n.text))));
  const end = el('button', { type: 'button', id: 'end-session', class: 'secondary' }, 'End session');
  end.addEventListener('click', () => {
    void fetch(`/api/launches/${launchId}/end`, { method: 'POST', headers: { 'x-csrf-token': csrfToken } }).then(() => {
      root?.replaceChildren(el('p', {}, 'Session ended. Launch again from the chart to continue.'));
    });
  });
  const encounter = ctx.encounter === undefined
    ? null
    : el('p', { class: 'user' }, 'Encounter: ', chartText('encounter', [ctx.encounter.type, ctx.encounter.status, ctx.encounter.periodStart?.slice(0, 10)].filter(Boolean).join(' · ')));
  const readCard = chartReadCard({
    launchId, csrfToken, readAt: data.chartRead?.readAt, lastChanges,
    onRefreshed: (lines) => {
      lastChanges = lines;
      void load();
    },
  });
  const chart = el('div', { id: 'tab-chart', role: 'tabpanel' }, readCard, el('div', { class: 'grid' }, ...views, labs), ...(notes === null ? [] : [notes]));
  root?.replaceChildren(
    ...(data.showPatientBanner ? [banner(ctx)] : []),
    user,
    ...(encounter === null ? [] : [encounter]),
    tabs(chart),
    el('footer', {}, end),
  );
}

/** Chart, handout and checklist as tabs; the handout and checklist are (re)loaded when opened, so they are current. */
function tabs(chart: HTMLElement): HTMLElement {
  const panel = el('div', { id: 'tab-panel' }, chart);
  const open: Record<string, () => void> = {
    chart: () => panel.replaceChildren(chart),
    handout: () => {
      const container = el('div', { id: 'tab-handout', role: 'tabpanel' });
      panel.replaceChildren(container);
      void mountHandout(container, launchId);
    },
    checklist: () => {
      const container = el('div', { id: 'tab-checklist', role: 'tabpanel' });
      panel.replaceChildren(container);
      void mountChecklist(container, { launchId, csrfToken });
    },
    filing: () => {
      const container = el('div', { id: 'tab-filing', role: 'tabpanel' });
      panel.replaceChildren(container);
      void mountFiling(container, { launchId, csrfToken });
    },
  };
  const buttons = [['chart', 'Chart'], ['handout', 'Handout'], ['checklist', 'Checklist'], ['filing', 'File to chart']].map(([id, label]) => {
    const button = el('button', { type: 'button', role: 'tab', id: `tab-button-${id}`, class: 'tab', 'aria-selected': String(id === 'chart') }, label ?? '');
    button.addEventListener('click', () => {
      document.querySelectorAll('[role="tab"]').forEach((b) => b.setAttribute('aria-selected', String(b === button)));
      open[id ?? 'chart']?.();
    });
    return button;
  });
  return el('div', { class: 'tabs' }, el('nav', { role: 'tablist' }, ...buttons), panel);
}

async function load(): Promise<void> {
  const response = await fetch(`/api/launches/${launchId}/context`, { headers: { accept: 'application/json' } });
  const body = (await response.json()) as ContextResponse | { message: string; hint?: string };
  if (!response.ok || !('context' in body)) {
    const problem = body as { message?: string; hint?: string };
    root?.replaceChildren(el('div', { class: 'error-page', role: 'alert' }, el('h1', {}, problem.message ?? 'The chart could not be read.'), el('p', {}, problem.hint ?? '')));
    return;
  }
  render(body);
}

load().catch(() => {
  root?.replaceChildren(el('p', { role: 'alert' }, 'The app could not reach its server. Check the connection and reload.'));
});
