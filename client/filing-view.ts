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
  docStatus?: string;
  permissions?: { attest: boolean; file: boolean; reason: string | null };
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

/** Where the note stands, in words that claim no more than the EHR did. */
function describe(view: FilingView): { kind: 'filed' | 'pending' | 'attention' | 'none' | 'retracted'; text: string } {
  if (view.state === 'entered-in-error') {
    return { kind: 'retracted', text: `The note (EHR document id ${view.documentId ?? 'unknown'}) was marked entered in error in the chart. No replacement was filed.` };
  }
  if (view.filed) {
    const replaced = view.replacesDocumentId === undefined
      ? ''
      : ` It replaces note ${view.replacesDocumentId}, which was marked entered in error in the chart.`;
    if (view.docStatus === 'preliminary') {
      return { kind: 'filed', text: `Filed to the chart as a preliminary (unsigned) note: sign it in the EHR to make it final. EHR document id: ${view.documentId ?? 'unknown'}.${replaced}` };
    }
    return { kind: 'filed', text: `Filed to the chart. EHR document id: ${view.documentId ?? 'unknown'}.${replaced}` };
  }
  if (view.relaunchNeeded === true) {
    return { kind: 'attention', text: 'The EHR session ended before the note was filed. Launch the app again from the chart: the note will be filed then, with nothing re-entered.' };
  }
  if (view.state === 'failed') {
    return { kind: 'attention', text: `Needs attention: ${view.lastError?.message ?? 'the EHR refused the note'}${view.ehrMessage === undefined ? '' : ` — the EHR said: ${view.ehrMessage}`}` };
  }
  if (view.state === 'none') {
    return { kind: 'none', text: 'Not filed yet. Read the note below, then file it.' };
  }
  return { kind: 'pending', text: `Filing… (${view.state}${view.attempts === undefined ? '' : `, attempt ${view.attempts}`})` };
}

const MIN_REASON = 3;
const MAX_REASON = 500;

/**
 * "Mark entered in error": a confirmation step that asks why (the reason goes into the replacement note) and
 * whether to file a corrected replacement. Nothing is sent until the clinician confirms.
 */
function retractPanel(onConfirm: (reason: string, replace: boolean) => void): { panel: HTMLElement; open(): void } {
  const reason = el('textarea', { id: 'retract-reason', rows: '3', maxlength: String(MAX_REASON), 'aria-describedby': 'retract-help', required: '' });
  const replace = el('input', { type: 'checkbox', id: 'retract-replace', checked: '' });
  const error = el('p', { id: 'retract-error', class: 'error', role: 'alert', hidden: '' });
  const confirm = el('button', { type: 'button', id: 'retract-confirm', class: 'danger' }, 'Mark the note entered in error');
  const cancel = el('button', { type: 'button', id: 'retract-cancel', class: 'secondary' }, 'Cancel');
  const panel = el('div', { class: 'card retract', id: 'retract-panel', role: 'group', 'aria-labelledby': 'retract-title', hidden: '' },
    el('h3', { id: 'retract-title' }, 'Mark the filed note entered in error'),
    el('p', { id: 'retract-help' }, 'The note stays in the chart marked "entered in error". Say why: the reason is recorded and printed in the replacement note.'),
    el('label', { for: 'retract-reason' }, 'Reason (required)'), reason,
    el('p', {}, el('label', { for: 'retract-replace' }, replace, ' File a corrected replacement note now')),
    error,
    el('div', { class: 'actions' }, confirm, cancel));
  confirm.addEventListener('click', () => {
    const text = reason.value.trim();
    if (text.length < MIN_REASON) {
      error.textContent = 'Give the reason the note is in error (a few words at least).';
      error.hidden = false;
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    panel.hidden = true;
    onConfirm(text, replace.checked);
  });
  cancel.addEventListener('click', () => {
    panel.hidden = true;
  });
  return {
    panel,
    open(): void {
      error.hidden = true;
      reason.removeAttribute('aria-invalid');
      panel.hidden = false;
      reason.focus();
    },
  };
}

export async function mountFiling(container: HTMLElement, api: Api): Promise<void> {
  const status = el('p', { id: 'filing-state', role: 'status', 'aria-live': 'polite' }, 'Checking…');
  const file = el('button', { type: 'button', id: 'file-to-chart' }, 'File to chart');
  const replace = el('button', { type: 'button', id: 'replace-note', class: 'secondary', hidden: '' }, 'Mark entered in error…');
  const permission = el('p', { id: 'file-permission', class: 'notice', hidden: '' });
  const preview = el('pre', { id: 'note-preview', class: 'note-preview', tabindex: '0', 'aria-label': 'The note that will be filed' });
  const previewSection = el('section', { class: 'card', 'data-section': 'note-preview', 'aria-labelledby': 'note-preview-title', hidden: '' },
    el('h2', { id: 'note-preview-title' }, 'The note that will be filed'), preview);
  const history = el('section', { class: 'card', 'data-section': 'history' }, el('h2', {}, 'Earlier discussions with this patient'));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let mayFile = true;

  const applyPermissions = (permissions: FilingView['permissions']): void => {
    if (permissions !== undefined) {
      mayFile = permissions.file;
      permission.textContent = permissions.reason ?? '';
      permission.hidden = mayFile;
      file.disabled = !mayFile;
    }
  };
  const showPreview = async (): Promise<void> => {
    const { status: code, body } = await call<{ text: string }>(api, 'GET', '/discussion/note-preview').catch(() => ({ status: 0, body: { text: '' } }));
    previewSection.hidden = code !== 200;
    preview.textContent = code === 200 ? body.text : '';
  };
  const show = (view: FilingView): void => {
    const { kind, text } = describe(view);
    status.textContent = text;
    status.dataset.state = kind;
    status.dataset.ehrState = view.state;
    applyPermissions(view.permissions);
    file.hidden = kind === 'filed' || kind === 'pending' || kind === 'retracted';
    file.disabled = !mayFile;
    replace.hidden = kind !== 'filed' || view.canMarkEnteredInError === false;
    replace.disabled = !mayFile;
    if (kind === 'none') {
      void showPreview();
    }
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
      // Nothing to file yet; whether this user could file at all is still worth saying now.
      const discussion = await call<{ permissions?: FilingView['permissions'] }>(api, 'GET', '/discussion').catch(() => undefined);
      applyPermissions(discussion?.status === 200 ? discussion.body.permissions : undefined);
    }
  };
  const act = async (path: string, body: unknown): Promise<void> => {
    clearTimeout(timer);
    file.disabled = true;
    replace.disabled = true;
    status.textContent = 'Filing…';
    status.dataset.state = 'pending';
    const result = await call<FilingView>(api, 'POST', path, body).catch(() => undefined);
    file.disabled = !mayFile;
    replace.disabled = !mayFile;
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
  const retract = retractPanel((reason, withReplacement) => void act('/discussion/filing/entered-in-error', { replace: withReplacement, reason }));
  file.addEventListener('click', () => void act('/discussion/file', {}));
  replace.addEventListener('click', () => retract.open());

  container.replaceChildren(
    el('section', { class: 'card', 'data-section': 'filing' }, el('h2', {}, 'File the discussion to the chart'),
      el('p', {}, 'Files a note recording what was discussed, with which handout version, by whom and when. It is not the consent form.'),
      status, permission, el('div', { class: 'actions' }, file, replace), retract.panel),
    previewSection,
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
