import { Autosaver, callApi } from './checklist-api';
import type { ApiResponse, ChecklistApi, SaveState } from './checklist-api';
import { focusTarget, groupSections, lockInputs, markProblems, refreshState } from './checklist-items';
import type { Answers, DiscussionView } from './checklist-items';
import { progressText } from './checklist-progress';
import { flagsSection, notesSection } from './checklist-extras';
import { el } from './dom';

/**
 * The consent-discussion checklist of one launch: the statement that it records the discussion and is not the
 * legal consent form, the items by group, autosave, and "Complete discussion". The server decides what is missing
 * (422 names the items); the page highlights them and keeps everything entered.
 *
 * Stable hooks for end-to-end tests: `[data-item-id="<id>"] input` (with `data-required`, `data-answered`),
 * `[data-group="<id>"] [data-action="discussed-all"]`, `#checklist-progress`, `#checklist-save-state`, `#attest`,
 * `#checklist-errors` (with `a[data-item-link="<id>"]`), `#checklist-status`.
 */
export type { ChecklistApi };

const SAVE_TEXT: Record<SaveState, string> = {
  saved: 'Saved',
  pending: 'Not saved yet…',
  saving: 'Saving…',
  retrying: 'Not saved — retrying',
  conflict: 'Not saved — this discussion was changed in another window. Reload to continue.',
  refused: 'Not saved — the server refused an answer.',
  ended: 'Not saved — this session has ended. Launch the app again from the chart.',
};

/** The server's message for a refusal (AppError JSON: `{ error, message, hint, details }`). */
function messageOf(response: ApiResponse, fallback: string): string {
  return typeof response.body.message === 'string' ? response.body.message : fallback;
}

interface Problem {
  id?: string;
  text: string;
  why?: string;
}

class ChecklistPage {
  private view: DiscussionView;
  private answers: Answers;
  /** Item id → the message shown at the item, from the server's last refusal; cleared as items are answered. */
  private problems = new Map<string, string>();
  /** The last refusal, kept so the summary can shrink as the clinician answers what it names. */
  private refusal: { message: string; problems: Problem[] } | undefined;
  private readonly saver: Autosaver;
  private readonly saveState = el('p', { id: 'checklist-save-state', role: 'status', 'aria-live': 'polite' }, 'Saved');
  private readonly errors = el('div', { id: 'checklist-errors', role: 'alert', tabindex: '-1', hidden: '' });
  private readonly progress = el('p', { id: 'checklist-progress', 'aria-live': 'polite', 'aria-atomic': 'true' });
  private form = el('form', { class: 'checklist-form', novalidate: '' });

  constructor(
    private readonly container: HTMLElement,
    private readonly api: ChecklistApi,
    view: DiscussionView,
  ) {
    this.view = view;
    this.answers = { ...view.discussion.answers };
    this.saver = new Autosaver({
      save: () => callApi(api, 'PUT', '/answers', { version: this.view.discussion.version, answers: this.clinicianAnswers() }),
      onSaved: (body) => {
        this.view = body as unknown as DiscussionView;
      },
      onState: (state, message) => {
        this.saveState.textContent = state === 'refused' && message !== undefined ? `Not saved — ${message}` : SAVE_TEXT[state];
        this.saveState.dataset.state = state;
      },
    });
  }

  /** Only the clinician's answers travel; app-filled values are the server's (it would ignore them anyway). */
  private clinicianAnswers(): Answers {
    const appFilled = new Set(this.view.checklist.items.filter((i) => i.filledBy === 'app').map((i) => i.id));
    return Object.fromEntries(Object.entries(this.answers).filter(([id]) => !appFilled.has(id)));
  }

  private onChange(itemIds: string[], value: boolean | string | undefined): void {
    let solved = false;
    for (const itemId of itemIds) {
      if (value === undefined) {
        delete this.answers[itemId];
      } else {
        this.answers[itemId] = { ...this.answers[itemId], value };
      }
      solved = this.problems.delete(itemId) || solved;
    }
    this.refresh();
    if (solved) {
      markProblems(this.form, this.problems);
      this.showSummary();
    }
    this.saver.schedule();
  }

  /** Visibility, required/answered marks and the progress counts, after any change. */
  private refresh(): void {
    const overall = refreshState(this.form, this.view, this.answers);
    const text = progressText(overall);
    // Only a real change is written, so the polite live region speaks once per change, not on every keystroke.
    if (this.progress.textContent !== text) {
      this.progress.textContent = text;
    }
    this.progress.dataset.complete = String(overall.answered === overall.required);
  }

  render(): void {
    const d = this.view.discussion;
    const attested = d.status !== 'draft';
    const status = attested
      ? `Completed on ${new Date(d.attestedAt ?? '').toLocaleString()} by ${d.clinician.name ?? d.clinician.fhirUser}.`
      : 'In progress — answers are saved as you go.';
    this.form = el('form', { class: 'checklist-form', novalidate: '' }, ...groupSections(this.view, this.answers, {
      onChange: (id, v) => this.onChange([id], v),
      onChangeMany: (ids, v) => this.onChange(ids, v),
    }));
    this.form.addEventListener('submit', (event) => event.preventDefault());
    const attest = el('button', { type: 'button', id: 'attest' }, 'Complete discussion');
    attest.addEventListener('click', () => void this.attest());
    // The server refuses an attestation by someone whose role may not attest; the page says so before they try.
    const mayAttest = this.view.permissions.attest;
    const permission = mayAttest ? null : el('p', { class: 'notice', id: 'attest-permission' }, this.view.permissions.reason ?? '');
    if (!mayAttest) {
      attest.disabled = true;
      attest.setAttribute('aria-describedby', 'attest-permission');
    }
    const interpreter = d.interpreterNeeded
      ? el('p', { class: 'notice' }, 'No handout exists in the patient\'s language: go through the English handout with a qualified medical interpreter.')
      : null;
    // The server refuses "not needed" without a reason when the languages differ; say so before the clinician attests.
    const mismatch = this.view.languageMismatches.length > 0
      ? el('p', { class: 'notice', id: 'language-mismatch' }, `Not the patient's preferred language: ${this.view.languageMismatches.join(' and ')}. Record the qualified interpreter who took part, or write why no interpreter was needed.`)
      : null;
    this.container.replaceChildren(
      el('section', { class: 'checklist', 'data-section': 'checklist', 'aria-labelledby': 'checklist-title' },
        el('h2', { id: 'checklist-title' }, this.view.checklist.title),
        el('p', { class: 'statement' }, this.view.statement),
        el('p', { id: 'checklist-status', 'data-status': d.status }, status),
        attested ? null : this.saveState,
        attested ? null : this.progress,
        this.errors,
        interpreter,
        mismatch,
        flagsSection(this.view, attested, (flagId, reason) => void this.act(`/flags/${encodeURIComponent(flagId)}/dismiss`, { reason })),
        this.form,
        notesSection(this.view, attested, (text) => void this.act('/notes', { text }), (noteId) => void this.act(`/notes/${encodeURIComponent(noteId)}/remove`, {})),
        attested ? null : el('div', { class: 'actions' }, permission, attest),
      ),
    );
    this.refresh();
    markProblems(this.form, this.problems);
    if (attested) {
      lockInputs(this.form);
    }
  }

  /** A message at the top of the checklist, with focus, so it is read and seen first. */
  private showErrors(message: string, problems: Problem[]): void {
    this.refusal = { message, problems };
    this.showSummary();
    this.errors.focus();
  }

  /**
   * The summary of the last refusal: its message, then by section a link per item still open (Enter or a click puts
   * focus on that item's control, where its own message is). Problems not tied to a shown item are listed as text.
   */
  private showSummary(): void {
    if (this.refusal === undefined) {
      return;
    }
    const open = this.refusal.problems.filter((p) => p.id === undefined || this.problems.has(p.id) || !this.isItem(p.id));
    if (open.length === 0 && this.refusal.problems.length > 0) {
      this.errors.replaceChildren(el('p', {}, 'Everything the server asked for is answered now. Complete the discussion again.'));
      return;
    }
    const sections = this.view.checklist.groups.map((group) => {
      const links = open.filter((p) => this.groupOf(p.id) === group.id).map((p) => el('li', {}, this.summaryLink(p)));
      return links.length === 0 ? null : el('li', {}, el('span', { class: 'summary-group' }, group.label), el('ul', {}, ...links));
    });
    const loose = open.filter((p) => this.groupOf(p.id) === undefined).map((p) => el('li', {}, p.text, p.why === undefined ? '' : ` — ${p.why}`));
    const list = [...sections.filter((s) => s !== null), ...loose];
    this.errors.replaceChildren(el('p', {}, this.refusal.message), ...(list.length > 0 ? [el('ul', { class: 'error-summary' }, ...list)] : []));
    this.errors.hidden = false;
  }

  private isItem(id: string): boolean {
    return this.form.querySelector(`[data-item-id="${CSS.escape(id)}"]:not([hidden])`) !== null;
  }

  private groupOf(id: string | undefined): string | undefined {
    return id === undefined || !this.isItem(id) ? undefined : this.view.checklist.items.find((i) => i.id === id)?.group;
  }

  private summaryLink(problem: Problem): HTMLElement {
    const target = problem.id === undefined ? null : focusTarget(this.form, problem.id);
    const link = el('a', { href: `#${target?.id ?? ''}`, 'data-item-link': problem.id ?? '' }, problem.text);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      const control = problem.id === undefined ? null : focusTarget(this.form, problem.id);
      control?.scrollIntoView({ block: 'center' });
      control?.focus();
    });
    return problem.why === undefined ? link : el('span', {}, link, ` — ${problem.why}`);
  }

  /** Saves what is pending first, so the server validates and records exactly what is on the page. */
  private async flushed(): Promise<boolean> {
    if (await this.saver.flush()) {
      return true;
    }
    this.showErrors('Your latest answers are not saved yet, so this was not sent. Check the save status and try again.', []);
    return false;
  }

  private async attest(): Promise<void> {
    if (!(await this.flushed())) {
      return;
    }
    const response = await this.send('/attest', { version: this.view.discussion.version });
    if (response?.status === 422) {
      const details = (response.body.details ?? {}) as { missing?: Problem[]; invalid?: Problem[] };
      const problems = [...(details.missing ?? []), ...(details.invalid ?? [])];
      this.problems = new Map(problems.flatMap((p) => (p.id === undefined ? [] : [[p.id, p.why === undefined ? 'Required: answer this before completing the discussion.' : `Not accepted: ${p.why}.`] as const])));
      markProblems(this.form, this.problems);
      this.showErrors(messageOf(response, 'Some items still need an answer.'), problems);
    }
  }

  private async act(path: string, body: Record<string, unknown>): Promise<void> {
    if (await this.flushed()) {
      const response = await this.send(path, { ...body, version: this.view.discussion.version });
      // `send` leaves 422s to the attestation, which names items; any other refused change says why here.
      if (response?.status === 422) {
        this.showErrors(messageOf(response, 'That change was not accepted.'), []);
      }
    }
  }

  /** Sends a change; on success re-renders from the server's view, otherwise says why (nothing on the page is lost). */
  private async send(path: string, body: unknown): Promise<ApiResponse | undefined> {
    let response: ApiResponse;
    try {
      response = await callApi(this.api, 'POST', path, body);
    } catch {
      this.showErrors('The app could not reach its server. Nothing was lost; try again.', []);
      return undefined;
    }
    if (response.status === 200) {
      this.view = response.body as unknown as DiscussionView;
      this.answers = { ...this.view.discussion.answers };
      // A refusal that named items stays on screen until they are answered; a passing message goes.
      if (this.refusal?.problems.length === 0) {
        this.refusal = undefined;
      }
      this.errors.hidden = this.refusal === undefined;
      this.render();
      this.showSummary();
    } else if (response.status !== 422) {
      this.showErrors(messageOf(response, 'That did not work.'), []);
    }
    return response;
  }
}

/** Loads the launch's discussion (created on first load) and renders the checklist into `container`. */
export async function mountChecklist(container: HTMLElement, api: ChecklistApi): Promise<void> {
  container.replaceChildren(el('p', { class: 'loading' }, 'Opening the consent-discussion checklist…'));
  let response: ApiResponse;
  try {
    response = await callApi(api, 'GET', '');
  } catch {
    container.replaceChildren(el('p', { role: 'alert' }, 'The app could not reach its server. Check the connection and reload.'));
    return;
  }
  if (response.status !== 200) {
    const hint = typeof response.body.hint === 'string' ? response.body.hint : '';
    container.replaceChildren(
      el('div', { class: 'error-page', role: 'alert' }, el('p', {}, messageOf(response, 'The checklist could not be opened.')), el('p', {}, hint)),
    );
    return;
  }
  new ChecklistPage(container, api, response.body as unknown as DiscussionView).render();
}
