import { el } from './dom';

/**
 * "File to chart": files the completed discussion as a note in the EHR and shows where that stands — filed (with the
 * EHR's document id), still being filed, or needing attention — polling while the server works. Also lists this
 * patient's earlier discussions so one can be reopened and reprinted, and lets a filed note be marked entered in
 * error and replaced, where the EHR allows it.
 */
interface FilingView {
  discussionId: string;
  state: string;
  final: boolean;
  filed: boolean;
  documentId?: string;
  attempts?: number;
  lastError?: { code: string; message: string };
  ehrMessage?: string;
  relaunchNeeded?: boolean;
  replacesDocumentId?: string;
  canMarkEnteredInError?: boolean;
}

interface DiscussionSummary {
  id: string;
  status: string;
  createdAt: string;
  attestedAt: string | null;
  clinician: string;
  pack: { title: string; version: string; language: string };
}

interface Api {
  launchId: string;
  csrfToken: string;
}

const POLL_MS = 1500;

async function call<T>(api: Api, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T & { message?: string; hint?: string } }> {
  const response = await fetch(`/api/launches/${encodeURIComponent(api.launchId)}${path}`, {
    method,
    cache: 'no-store',
    headers: { accept: 'application/json', 'x-csrf-token': api.csrfToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as T & { message?: string; hint?: string } };
}

function describe(view: FilingView): { kind: 'filed' | 'pending' | 'attention' | 'none'; text: string } {
  if (view.filed) {
    return { kind: 'filed', text: `Filed to the chart. EHR document id: ${view.documentId ?? 'unknown'}` };
  }
  if (view.relaunchNeeded === true) {
    return { kind: 'attention', text: 'The EHR session ended before the note was filed. Launch the app again from the chart: the note will be filed then, with nothing re-entered.' };
  }
  if (view.state === 'failed') {
    return { kind: 'attention', text: `Needs attention: ${view.lastError?.message ?? 'the EHR refused the note'}${view.ehrMessage === undefined ? '' : ` — the EHR said: ${view.ehrMessage}`}` };
  }
  if (view.state === 'none') {
    return { kind: 'none', text: 'Not filed yet.' };
  }
  return { kind: 'pending', text: `Filing… (${view.state}${view.attempts === undefined ? '' : `, attempt ${view.attempts}`})` };
}

export async function mountFiling(container: HTMLElement, api: Api): Promise<void> {
  const status = el('p', { id: 'filing-state', role: 'status', 'aria-live': 'polite' }, 'Checking…');
  const file = el('button', { type: 'button', id: 'file-to-chart' }, 'File to chart');
  const replace = el('button', { type: 'button', id: 'replace-note', class: 'secondary', hidden: '' }, 'Mark entered in error and file a replacement');
  const history = el('section', { class: 'card', 'data-section': 'history' }, el('h2', {}, 'Earlier discussions with this patient'));
  let timer: ReturnType<typeof setTimeout> | undefined;

  const show = (view: FilingView): void => {
    const { kind, text } = describe(view);
    status.textContent = text;
    status.dataset.state = kind;
    status.dataset.ehrState = view.state;
    file.hidden = kind === 'filed' || kind === 'pending';
    replace.hidden = kind !== 'filed' || view.canMarkEnteredInError === false;
    if (!view.final && view.state !== 'none') {
      timer = setTimeout(() => void refresh(), POLL_MS);
    }
  };
  const refresh = async (): Promise<void> => {
    const { status: code, body } = await call<FilingView>(api, 'GET', '/discussion/filing');
    if (code === 200) {
      show(body);
    } else {
      status.textContent = body.message ?? 'Complete the checklist first; then the discussion can be filed.';
      status.dataset.state = 'none';
    }
  };
  const act = async (path: string, body: unknown): Promise<void> => {
    clearTimeout(timer);
    file.disabled = true;
    replace.disabled = true;
    status.textContent = 'Filing…';
    status.dataset.state = 'pending';
    const result = await call<FilingView>(api, 'POST', path, body).catch(() => undefined);
    file.disabled = false;
    replace.disabled = false;
    if (result === undefined) {
      status.textContent = 'The app could not reach its server. Nothing was lost; try again.';
      status.dataset.state = 'attention';
    } else if (result.status === 200 || result.status === 202) {
      show(result.body);
    } else {
      status.textContent = `${result.body.message ?? 'Filing was refused.'} ${result.body.hint ?? ''}`.trim();
      status.dataset.state = 'attention';
    }
  };
  file.addEventListener('click', () => void act('/discussion/file', {}));
  replace.addEventListener('click', () => void act('/discussion/filing/entered-in-error', { replace: true }));

  container.replaceChildren(
    el('section', { class: 'card', 'data-section': 'filing' }, el('h2', {}, 'File the discussion to the chart'),
      el('p', {}, 'Files a note recording what was discussed, with which handout version, by whom and when. It is not the consent form.'),
      status, el('div', { class: 'actions' }, file, replace)),
    history,
  );
  await refresh();
  await listHistory(api, history);
}

async function listHistory(api: Api, section: HTMLElement): Promise<void> {
  const { status, body } = await call<DiscussionSummary[]>(api, 'GET', '/discussions');
  if (status !== 200 || !Array.isArray(body)) {
    return;
  }
  const rows = body.map((d) =>
    el(
      'li',
      { 'data-discussion-id': d.id },
      `${new Date(d.attestedAt ?? d.createdAt).toLocaleString()} · ${d.status} · ${d.pack.title} v${d.pack.version} (${d.pack.language}) · `,
      el('span', { dir: 'auto' }, d.clinician),
      ' · ',
      el('a', { href: `/api/launches/${api.launchId}/handout.pdf?discussionId=${d.id}`, download: '', class: 'reprint' }, 'Reprint handout'),
    ),
  );
  section.append(rows.length === 0 ? el('p', { class: 'none' }, 'None yet.') : el('ul', {}, ...rows));
}
