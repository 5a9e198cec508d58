import { el } from './dom';

/**
 * The handout tab: which pack version the patient gets (and whether a reviewer approved it), its reading grades,
 * the clinician-only oral MME, a live preview (exactly the printed document), print and PDF download.
 */
interface Scores {
  fkgl: number;
  smog: number;
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
  printable: boolean;
  oralMme: null | {
    totalPerDay: number;
    lines: Array<{ display: string; mmePerDay: number; factor: number }>;
    notCounted: Array<{ display: string; why: string }>;
    source: { text: string };
  };
}

const grade = (s: Scores): string => `FKGL ${s.fkgl.toFixed(1)} · SMOG ${s.smog.toFixed(1)}`;

function packSummary(info: HandoutInfo): HTMLElement {
  const { pack } = info;
  const review = pack.review.status === 'approved'
    ? el('span', { class: 'badge ok' }, `Approved by ${pack.review.reviewedBy ?? '?'} on ${pack.review.reviewedAt ?? '?'}`)
    : el('span', { class: 'badge draft', id: 'pack-draft' }, 'DRAFT — not reviewed for patient use');
  const sections = Object.entries(pack.readability.sections)
    .map(([id, s]) => el('tr', {}, el('td', {}, id), el('td', {}, s.fkgl.toFixed(1)), el('td', {}, s.smog.toFixed(1))));
  return el(
    'section',
    { class: 'card', 'data-section': 'pack' },
    el('h2', {}, pack.title),
    el('p', {}, `Version ${pack.version} · language ${pack.language} · `, review),
    info.interpreterNeeded
      ? el('p', { class: 'read-note', id: 'interpreter-needed' }, 'No handout exists in the patient\'s language: the English handout is printed with an "interpreter needed" notice. Use a qualified medical interpreter.')
      : null,
    el('p', { id: 'readability-overall' }, `Reading level (whole handout): ${grade(pack.readability.overall)} — aim: grade 6, never above 8.`),
    el('details', {}, el('summary', {}, 'Reading level by section'), el('table', { class: 'grades' }, el('tr', {}, el('th', {}, 'Section'), el('th', {}, 'FKGL'), el('th', {}, 'SMOG')), ...sections)),
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

export async function mountHandout(container: HTMLElement, launchId: string): Promise<void> {
  container.replaceChildren(el('p', { class: 'loading' }, 'Preparing the handout…'));
  const response = await fetch(`/api/launches/${encodeURIComponent(launchId)}/handout-info`, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const body = (await response.json()) as HandoutInfo & { message?: string; hint?: string };
  if (!response.ok) {
    container.replaceChildren(el('div', { class: 'error-page', role: 'alert' }, el('h2', {}, body.message ?? 'The handout could not be prepared.'), el('p', {}, body.hint ?? '')));
    return;
  }
  const large = el('input', { type: 'checkbox', id: 'large-print' });
  const frame = el('iframe', { id: 'handout-preview', title: 'Handout preview', src: `/app/${launchId}/handout` });
  const download = el('a', { id: 'download-pdf', class: 'button', href: `/api/launches/${launchId}/handout.pdf`, download: '' }, 'Download PDF');
  const print = el('button', { type: 'button', id: 'print-handout', class: 'secondary' }, 'Print');
  large.addEventListener('change', () => {
    const suffix = large.checked ? '?large=1' : '';
    frame.src = `/app/${launchId}/handout${suffix}`;
    download.setAttribute('href', `/api/launches/${launchId}/handout.pdf${suffix}`);
  });
  print.addEventListener('click', () => frame.contentWindow?.print());
  const actions = body.printable
    ? el('div', { class: 'actions' }, el('label', {}, large, ' Large print'), ' ', print, ' ', download)
    : el('p', { class: 'read-note' }, 'This handout version is not approved for patients, so it cannot be printed here.');
  container.replaceChildren(packSummary(body), ...[mmeSummary(body)].filter((x): x is HTMLElement => x !== null), actions, frame);
}

