import { Autosaver, callApi } from './checklist-api';
import type { ApiResponse, ChecklistApi, SaveState } from './checklist-api';
import { groupSections, lockInputs, markProblems, refreshVisibility } from './checklist-items';
import type { Answers, DiscussionView } from './checklist-items';
import { flagsSection, notesSection } from './checklist-extras';
import { el } from './dom';

/**
 * The consent-discussion checklist of one launch: the statement that it records the discussion and is not the
 * legal consent form, the items by group, autosave, and "Complete discussion". The server decides what is missing
 * (422 names the items); the page highlights them and keeps everything entered.
 *
 * Stable hooks for end-to-end tests: `[data-item-id="<id>"] input`, `#checklist-save-state`, `#attest`,
 * `#checklist-errors`, `#checklist-status`.
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
  private problems = new Set<string>();
  private readonly saver: Autosaver;
  private readonly saveState = el('p', { id: 'checklist-save-state', role: 'status', 'aria-live': 'polite' }, 'Saved');
  private readonly errors = el('div', { id: 'checklist-errors', role: 'alert', tabindex: '-1', hidden: '' });
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

  private onChange(itemId: string, value: boolean | string | undefined): void {
    if (value === undefined) {
      delete this.answers[itemId];
    } else {
      this.answers[itemId] = { ...this.answers[itemId], value };
    }
    refreshVisibility(this.form, this.view, this.answers);
    if (this.problems.delete(itemId)) {
      markProblems(this.form, this.problems);
    }
    this.saver.schedule();
  }

  render(): void {
    const d = this.view.discussion;
    const attested = d.status !== 'draft';
    const status = attested
      ? `Completed on ${new Date(d.attestedAt ?? '').toLocaleString()} by ${d.clinician.name ?? d.clinician.fhirUser}.`
      : 'In progress — answers are saved as you go.';
    this.form = el('form', { class: 'checklist-form', novalidate: '' }, ...groupSections(this.view, this.answers, { onChange: (id, v) => this.onChange(id, v) }));
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
        interpreter,
        mismatch,
        flagsSection(this.view, attested, (flagId, reason) => void this.act(`/flags/${encodeURIComponent(flagId)}/dismiss`, { reason })),
        this.form,
        notesSection(this.view, attested, (text) => void this.act('/notes', { text })),
        this.errors,
        attested ? null : el('div', { class: 'actions' }, permission, attest),
      ),
    );
    if (attested) {
      lockInputs(this.form);
    }
  }

  private showErrors(message: string, problems: Problem[]): void {
    const items = problems.map((p) => {
      const li = el('li', {}, p.text, p.why === undefined ? '' : ` — ${p.why}`);
      if (p.id !== undefined) {
        li.dataset.itemId = p.id;
      }
      return li;
    });
    this.errors.replaceChildren(el('p', {}, message), ...(items.length > 0 ? [el('ul', {}, ...items)] : []));
    this.errors.hidden = false;
    this.errors.focus();
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
      this.problems = new Set(problems.flatMap((p) => (p.id === undefined ? [] : [p.id])));
      markProblems(this.form, this.problems);
      this.showErrors(messageOf(response, 'Some items still need an answer.'), problems);
    }
  }

  private async act(path: string, body: Record<string, unknown>): Promise<void> {
    if (await this.flushed()) {
      await this.send(path, { ...body, version: this.view.discussion.version });
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
      this.errors.hidden = true;
      this.render();
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
