import type { PatientContext } from '../server/chart/patient-context';
import type { ChartReadNote, ChartView } from '../server/clinician/routes';
import { chartReadCard } from './chart-refresh';
import { mountChecklist } from './checklist-view';
import { chartText, el } from './dom';
import { mountFiling } from './filing-view';
import { mountHandout } from './handout-view';

/**
 * The clinician's first view of a launch: patient banner, the chart facts the handout will be tailored on, and
 * what could not be read. Everything is fetched from the app's own server; no EHR token is ever in this page.
 */
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
function sectionBody<T>(items: T[], note: ChartReadNote | undefined, render: (item: T) => Array<Node | string>): Node {
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
  note: ChartReadNote | undefined,
  render: (item: T) => Array<Node | string>,
): HTMLElement {
  return el('section', { class: 'card', 'data-section': section }, el('h2', {}, title), sectionBody(items, note, render));
}

function status(value: string | undefined): Node | string {
  return value === undefined || value === 'active' ? '' : el('span', { class: 'status' }, ` (${value})`);
}

function render(data: ChartView): void {
  const ctx = data.context;
  const note = (read: string): ChartReadNote | undefined => data.readNotes.find((n) => n.read === read);
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
  const chart = el('div', { id: 'tab-chart' }, readCard, el('div', { class: 'grid' }, ...views, labs), ...(notes === null ? [] : [notes]));
  root?.replaceChildren(
    ...(data.showPatientBanner ? [banner(ctx)] : []),
    user,
    ...(encounter === null ? [] : [encounter]),
    tabs(chart),
    el('footer', {}, end),
  );
}

const TABS = [['chart', 'Chart'], ['handout', 'Handout'], ['checklist', 'Checklist'], ['filing', 'File to chart']] as const;
type TabId = (typeof TABS)[number][0];

/**
 * Chart, handout, checklist and filing as tabs, in the WAI-ARIA tabs pattern (APG "Tabs with automatic
 * activation"): one tab stop (roving tabindex), Left/Right (wrapping), Home and End move to a tab and open it; the
 * one panel is labelled by the selected tab. The handout and checklist are (re)loaded when opened, so they are current,
 * with one exception: the handout starts loading with the chart view (hidden), because it is what the clinician opens
 * next, and that first copy is shown if no other tab was opened before it (nothing can have changed it: the chart
 * view only reads, and "Refresh from the chart" renders all of this afresh).
 */
function tabs(chart: HTMLElement): HTMLElement {
  const holders: Record<TabId, HTMLElement> = {
    chart: el('div', {}, chart),
    handout: el('div', { hidden: '' }),
    checklist: el('div', { hidden: '' }),
    filing: el('div', { hidden: '' }),
  };
  // An iframe moved in the DOM reloads, so every view stays in the panel and only one is shown.
  const panel = el('div', { id: 'tab-panel', role: 'tabpanel', tabindex: '0', 'aria-labelledby': 'tab-button-chart' }, ...Object.values(holders));
  const mounts: Record<Exclude<TabId, 'chart'>, (container: HTMLElement) => void> = {
    handout: (c) => void mountHandout(c, launchId),
    checklist: (c) => void mountChecklist(c, { launchId, csrfToken }),
    filing: (c) => void mountFiling(c, { launchId, csrfToken }),
  };
  // Each load gets a new container: a slow answer to an earlier load fills a detached one, never the shown view.
  const mount = (id: Exclude<TabId, 'chart'>): void => {
    const container = el('div', { id: `tab-${id}` });
    holders[id].replaceChildren(container);
    mounts[id](container);
  };
  // The handout starts loading now, hidden, beside the chart view: it is the tab the clinician opens next.
  let preloadedHandout = true;
  mount('handout');
  const open = (id: TabId): void => {
    if (id === 'checklist' || id === 'filing') {
      preloadedHandout = false; // answers saved there can change the handout: it loads afresh
    }
    for (const [key, holder] of Object.entries(holders) as Array<[TabId, HTMLElement]>) {
      holder.hidden = key !== id;
      if (key !== id && key !== 'chart' && !(key === 'handout' && preloadedHandout)) {
        holder.replaceChildren(); // a view left behind is dropped: opened again, it loads afresh
      }
    }
    if (id === 'handout' && preloadedHandout) {
      preloadedHandout = false;
    } else if (id !== 'chart') {
      mount(id);
    }
  };
  const buttons = TABS.map(([id, label]) => el('button', {
    type: 'button', role: 'tab', id: `tab-button-${id}`, class: 'tab', 'aria-controls': 'tab-panel',
    'aria-selected': String(id === 'chart'), tabindex: id === 'chart' ? '0' : '-1',
  }, label));
  const select = (index: number): void => {
    buttons.forEach((b, i) => {
      b.setAttribute('aria-selected', String(i === index));
      b.tabIndex = i === index ? 0 : -1;
    });
    const button = buttons[index];
    const id = TABS[index]?.[0];
    if (button === undefined || id === undefined) {
      return;
    }
    button.focus();
    panel.setAttribute('aria-labelledby', button.id);
    open(id);
  };
  buttons.forEach((button, index) => button.addEventListener('click', () => select(index)));
  const list = el('div', { role: 'tablist', 'aria-label': 'Consent discussion' }, ...buttons);
  list.addEventListener('keydown', (event) => {
    const current = buttons.findIndex((b) => b === document.activeElement);
    const last = buttons.length - 1;
    const next = { ArrowRight: current === last ? 0 : current + 1, ArrowLeft: current === 0 ? last : current - 1, Home: 0, End: last }[event.key];
    if (current === -1 || next === undefined) {
      return;
    }
    event.preventDefault();
    select(next);
  });
  return el('div', { class: 'tabs' }, list, panel);
}

/** The chart view's data: the first time, the copy the app page carries; after a chart refresh, from the API. */
function embeddedView(): ChartView | undefined {
  const embedded = root?.dataset.context;
  if (embedded === undefined) {
    return undefined;
  }
  delete root?.dataset.context;
  return JSON.parse(embedded) as ChartView;
}

async function load(): Promise<void> {
  const embedded = embeddedView();
  if (embedded !== undefined) {
    render(embedded);
    return;
  }
  const response = await fetch(`/api/launches/${launchId}/context`, { headers: { accept: 'application/json' } });
  const body = (await response.json()) as ChartView | { message: string; hint?: string };
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
