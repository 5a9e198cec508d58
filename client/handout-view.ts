import { el } from './dom';
import { uncheckedAreasNotice, type UncheckedAreaView } from './unchecked-areas';

/**
 * The handout tab: which pack version the patient gets (and whether a reviewer approved it), its reading grades,
 * the clinician-only oral MME, a live preview (exactly the printed document), print and PDF download.
 */
interface Scores {
  fkgl?: number;
  smog?: number;
  fernandezHuerta?: number;
  szigrisztPazos?: number;
}

interface HandoutInfo {
  pack: {
    id: string;
    version: string;
    language: string;
    title: string;
    review: { status: 'draft' | 'approved'; reviewedBy: string | null; reviewedAt: string | null; note: string };
    readability: { formula: string; overall: Scores; sections: Record<string, Scores> };
  };
  interpreterNeeded: boolean;
  uncheckedAreas: UncheckedAreaView[];
  /** The language-help notice printed in the patient's preferred language, with its translation review. */
  languageNotice: null | {
    language: string;
    name: string;
    text: string;
    dir: 'ltr' | 'rtl';
    review: { status: 'needs-translator-review' | 'translator-approved'; reviewedBy: string | null; reviewedAt: string | null; note: string };
  };
  printable: boolean;
  /** What the handout is about: the chart's reading, what is in force, and the clinician's saved choice (if any). */
  scenario: {
    fromChart: { indication: string; procedure: string };
    inForce: { indication: string; procedure: string };
    chosen: { indication?: string; procedure?: string };
  };
  /** The discussion the handout belongs to: a choice is saved against its version, and only while it is a draft. */
  discussion: { status: 'draft' | 'attested'; version: number };
  oralMme: null | {
    totalPerDay: number;
    lines: Array<{ display: string; mmePerDay: number; factor: number }>;
    notCounted: Array<{ display: string; why: string }>;
    source: { text: string };
  };
}

const one = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(1));
/** English packs: grade levels (aim 6). Spanish packs: Fernández-Huerta and Szigriszt-Pazos on the INFLESZ scale. */
const isSpanishScale = (formula: string): boolean => formula === 'fernandez-huerta-inflesz';
const grade = (s: Scores, formula: string): string =>
  isSpanishScale(formula)
    ? `Fernández-Huerta ${one(s.fernandezHuerta)} · Szigriszt-Pazos ${one(s.szigrisztPazos)} (INFLESZ)`
    : `FKGL ${one(s.fkgl)} · SMOG ${one(s.smog)}`;
const aim = (formula: string): string =>
  isSpanishScale(formula)
    ? 'aim: 65 or more on the INFLESZ scale ("bastante fácil"; 0–100, higher is easier).'
    : 'aim: grade 6, never above 8.';

/**
 * Why the pump and which operation: the chart decides, the clinician may change it before printing. The choice is
 * saved with the discussion (PUT …/discussion/scenario), so the checklist, the attestation and the note follow it.
 */
const INDICATION_CHOICES: Array<[string, string]> = [['non-cancer-pain', 'Pain (not cancer)'], ['cancer-pain', 'Cancer pain'], ['spasticity', 'Spasticity (baclofen)']];
const PROCEDURE_CHOICES: Array<[string, string]> = [['first-implant', 'First implant (after a trial)'], ['replacement', 'Pump replacement or revision (no trial)'], ['trial-only', 'Trial only']];

/** "From the chart (…)" first — the value '' goes back to the chart's reading — then every choice. */
function select(id: string, choices: Array<[string, string]>, fromChart: string, chosen: string | undefined): HTMLSelectElement {
  const chartLabel = choices.find(([value]) => value === fromChart)?.[1] ?? fromChart;
  const control = el('select', { id }, el('option', { value: '' }, `From the chart (${chartLabel})`), ...choices.map(([value, label]) => el('option', { value }, label)));
  control.value = chosen ?? '';
  return control;
}

/**
 * Print is recorded in the audit trail before the browser's print dialog opens; when it cannot be recorded (or the
 * handout may not be printed), nothing is printed and the clinician reads why.
 */
async function recordThenPrint(launchId: string, largePrint: boolean, frame: HTMLIFrameElement, status: HTMLElement): Promise<void> {
  status.textContent = '';
  const response = await fetch(`/api/launches/${encodeURIComponent(launchId)}/handout/printed${largePrint ? '?large=1' : ''}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'x-csrf-token': csrfToken() },
    cache: 'no-store',
  }).catch(() => undefined);
  if (response?.status === 204) {
    frame.contentWindow?.print();
    return;
  }
  const answer = (await response?.json().catch(() => ({}))) as { message?: string } | undefined;
  status.textContent = answer?.message ?? 'The app could not reach its server, so the handout was not printed. Try again.';
}

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

/** The notice in the patient's language as printed, and whether a qualified translator has signed it off. */
function languageNoticeSummary(info: HandoutInfo): HTMLElement | null {
  const notice = info.languageNotice;
  if (notice === null) {
    return null;
  }
  const review = notice.review.status === 'translator-approved'
    ? el('span', { class: 'badge ok' }, `Translation checked by ${notice.review.reviewedBy ?? '?'} on ${notice.review.reviewedAt ?? '?'}`)
    : el('span', { class: 'badge draft' }, 'Needs review by a qualified translator');
  return el('div', { id: 'language-notice', 'data-review-status': notice.review.status },
    el('p', {}, `Language-help notice printed in ${notice.name}: `, review),
    el('blockquote', { lang: notice.language, dir: notice.dir }, notice.text));
}

function packSummary(info: HandoutInfo): HTMLElement {
  const { pack } = info;
  const review = pack.review.status === 'approved'
    ? el('span', { class: 'badge ok' }, `Approved by ${pack.review.reviewedBy ?? '?'} on ${pack.review.reviewedAt ?? '?'}`)
    : el('span', { class: 'badge draft', id: 'pack-draft' }, 'DRAFT — not reviewed for patient use');
  const sections = Object.entries(pack.readability.sections)
    .map(([id, s]) =>
      isSpanishScale(pack.readability.formula)
        ? el('tr', {}, el('td', {}, id), el('td', {}, one(s.fernandezHuerta)), el('td', {}, one(s.szigrisztPazos)))
        : el('tr', {}, el('td', {}, id), el('td', {}, one(s.fkgl)), el('td', {}, one(s.smog))),
    );
  const columns = isSpanishScale(pack.readability.formula) ? ['Fernández-Huerta', 'Szigriszt-Pazos'] : ['FKGL', 'SMOG'];
  return el(
    'section',
    { class: 'card', 'data-section': 'pack' },
    el('h2', {}, pack.title),
    el('p', {}, `Version ${pack.version} · language ${pack.language} · `, review),
    info.interpreterNeeded
      ? el('p', { class: 'read-note', id: 'interpreter-needed' }, 'No handout exists in the patient\'s language: the English handout is printed with an "interpreter needed" notice. Use a qualified medical interpreter.')
      : null,
    languageNoticeSummary(info),
    el('p', { id: 'readability-overall' }, `Reading level (whole handout): ${grade(pack.readability.overall, pack.readability.formula)} — ${aim(pack.readability.formula)}`),
    el('details', {}, el('summary', {}, 'Reading level by section'), el('table', { class: 'grades' }, el('tr', {}, el('th', {}, 'Section'), ...columns.map((c) => el('th', {}, c))), ...sections)),
  );
}

function mmeSummary(info: HandoutInfo): HTMLElement | null {
  const mme = info.oralMme;
  if (mme === null) {
    return null;
  }
  return el(
    'section',
    { class: 'card clinician-only', 'data-section': 'mme' },
    el('h2', {}, 'Oral morphine milligram equivalents (clinician only)'),
    el('p', { id: 'mme-total' }, `${mme.totalPerDay} MME/day from current oral and transdermal opioid orders`),
    el('ul', {}, ...mme.lines.map((l) => el('li', {}, el('span', { dir: 'auto' }, l.display), ` — ${l.mmePerDay} MME/day (factor ${l.factor})`))),
    mme.notCounted.length > 0 ? el('p', {}, 'Not counted: ', mme.notCounted.map((n) => `${n.display} (${n.why})`).join('; ')) : null,
    el('p', { class: 'source' }, `Source: ${mme.source.text}`),
  );
}

/** `HANDOUT_COPY_CLASS` of server/handout/handout-styles.ts: the scope of the copy's stylesheet. */
const COPY_CLASS = 'handout-print';
/** Attributes that must stay unique in the app page (ids, and the section names the app's own views use). */
const COPY_DROPPED_ATTRIBUTES = ['id', 'aria-labelledby', 'aria-describedby', 'data-section'];
const LANDMARK_TAGS = new Set(['MAIN', 'HEADER', 'FOOTER', 'NAV', 'ASIDE']);

/**
 * The app page's own print (Ctrl+P) prints the handout, not the app: a print-only copy of the preview's document
 * (same origin, so readable once loaded), styled by the handout's print stylesheet — served as a file, because the
 * app's CSP allows no inline style. The preview itself is hidden in print: a framed document prints as one box, cut
 * at the page edges. A preview that did not load (an error) leaves the copy empty.
 */
function copyForPrint(frame: HTMLIFrameElement, copy: HTMLElement): void {
  const doc = frame.contentDocument;
  const root = doc?.documentElement;
  if (doc?.body === undefined || doc.body === null || root === undefined || doc.querySelector('main') === null) {
    copy.replaceChildren();
    return;
  }
  copy.className = `${COPY_CLASS} ${root.classList.contains('large-print') ? 'large-print' : 'normal-print'}`;
  copy.lang = root.lang;
  copy.dir = root.dir;
  const nodes = [...doc.body.childNodes].map((node) => document.importNode(node, true));
  for (const node of nodes) {
    if (node instanceof Element) {
      for (const element of [node, ...node.querySelectorAll('*')]) {
        COPY_DROPPED_ATTRIBUTES.forEach((name) => element.removeAttribute(name));
        // The page has one main landmark (and one banner): the copy's are presentation only.
        if (LANDMARK_TAGS.has(element.tagName)) {
          element.setAttribute('role', 'none');
        }
      }
    }
  }
  copy.replaceChildren(...nodes);
}

export async function mountHandout(container: HTMLElement, launchId: string): Promise<void> {
  // The preview starts loading at once, side by side with the handout facts: the two are independent requests.
  // The frame stays where it is (moving an iframe in the DOM reloads it); the rest is put in front of it.
  const loading = el('p', { class: 'loading' }, 'Preparing the handout…');
  const frame = el('iframe', { id: 'handout-preview', title: 'Handout preview', src: `/app/${launchId}/handout` });
  const copyStyles = el('link', { rel: 'stylesheet', href: `/app/${launchId}/handout.css` });
  // Print only: the preview above is what screen readers read, so the copy is hidden from them.
  const copy = el('div', { id: 'handout-print', class: COPY_CLASS, 'aria-hidden': 'true' });
  frame.addEventListener('load', () => copyForPrint(frame, copy));
  container.replaceChildren(loading, frame, copyStyles, copy);
  const response = await fetch(`/api/launches/${encodeURIComponent(launchId)}/handout-info`, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const body = (await response.json()) as HandoutInfo & { message?: string; hint?: string };
  if (!response.ok) {
    container.replaceChildren(el('div', { class: 'error-page', role: 'alert' }, el('h2', {}, body.message ?? 'The handout could not be prepared.'), el('p', {}, body.hint ?? '')));
    return;
  }
  const large = el('input', { type: 'checkbox', id: 'large-print' });
  const download = el('a', { id: 'download-pdf', class: 'button', href: `/api/launches/${launchId}/handout.pdf`, download: '' }, 'Download PDF');
  const print = el('button', { type: 'button', id: 'print-handout', class: 'secondary' }, 'Print');
  const { scenario } = body;
  const indication = select('handout-indication', INDICATION_CHOICES, scenario.fromChart.indication, scenario.chosen.indication);
  const procedure = select('handout-procedure', PROCEDURE_CHOICES, scenario.fromChart.procedure, scenario.chosen.procedure);
  const choiceStatus = el('span', { id: 'scenario-status', role: 'status' });
  let version = body.discussion.version;
  let saved = { indication: indication.value, procedure: procedure.value };
  if (body.discussion.status !== 'draft') {
    indication.disabled = true;
    procedure.disabled = true;
  }
  const refresh = (): void => {
    const suffix = large.checked ? '?large=1' : '';
    frame.src = `/app/${launchId}/handout${suffix}`;
    download.setAttribute('href', `/api/launches/${launchId}/handout.pdf${suffix}`);
  };
  const choose = async (): Promise<void> => {
    choiceStatus.textContent = 'Saving…';
    const response = await fetch(`/api/launches/${encodeURIComponent(launchId)}/discussion/scenario`, {
      method: 'PUT',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
      cache: 'no-store',
      body: JSON.stringify({ version, indication: indication.value === '' ? null : indication.value, procedure: procedure.value === '' ? null : procedure.value }),
    }).catch(() => undefined);
    const answer = (await response?.json().catch(() => ({}))) as { discussion?: { version: number }; message?: string } | undefined;
    if (response?.ok === true && answer?.discussion !== undefined) {
      version = answer.discussion.version;
      saved = { indication: indication.value, procedure: procedure.value };
      choiceStatus.textContent = 'Saved: the handout and the checklist follow this choice.';
      refresh();
      return;
    }
    // Not saved: the selects go back to what the handout and the checklist still follow.
    indication.value = saved.indication;
    procedure.value = saved.procedure;
    choiceStatus.textContent = answer?.message ?? 'The choice could not be saved. Reload the page and try again.';
  };
  large.addEventListener('change', refresh);
  for (const control of [indication, procedure]) {
    control.addEventListener('change', () => void choose());
  }
  const printStatus = el('span', { id: 'print-status', role: 'status' });
  print.addEventListener('click', () => void recordThenPrint(launchId, large.checked, frame, printStatus));
  const actions = body.printable
    ? el(
        'div',
        { class: 'actions' },
        el('label', {}, 'Handout for: ', indication),
        ' ',
        el('label', {}, 'Procedure: ', procedure),
        ' ',
        choiceStatus,
        ' ',
        el('label', {}, large, ' Large print'),
        ' ',
        print,
        printStatus,
        ' ',
        download,
      )
    : el('p', { class: 'read-note' }, 'This handout version is not approved for patients, so it cannot be printed here.');
  const unchecked = uncheckedAreasNotice(
    body.uncheckedAreas,
    'The handout may lack a risk from these parts of the chart; it tells the patient that parts of their record could not be read. Review them in the chart and confirm each on the checklist.',
  );
  loading.replaceWith(packSummary(body), ...[unchecked, mmeSummary(body)].filter((x): x is HTMLElement => x !== null), actions);
}

