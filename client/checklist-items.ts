import type { DiscussionView as ServerView, ViewItem } from '../server/consent/discussion-view';
import { groupItems, isAnswered, isDiscussedAllItem, isShown, needsClinician, progressOf, progressText } from './checklist-progress';
import type { Progress } from './checklist-progress';
import { el } from './dom';

/**
 * DOM for the checklist items (no network here). Every value — item texts from the content pack, answers typed by
 * the clinician, chart evidence — is set as text or as a form value, never as markup.
 */

/** A server type as it arrives over JSON: dates are ISO strings. */
type Wire<T> = T extends Date
  ? string
  : T extends Array<infer U>
    ? Array<Wire<U>>
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type DiscussionView = Wire<ServerView>;
export type Discussion = DiscussionView['discussion'];
export type Answers = Discussion['answers'];
export type { ViewItem };

const MAX_TEXT = 2000;

export interface ItemHandlers {
  /** Called with the item's new value (undefined when cleared). */
  onChange(itemId: string, value: boolean | string | undefined): void;
  /** Several items given one value at once ("discussed all of the above"). */
  onChangeMany(itemIds: string[], value: boolean): void;
}

function requiredMark(item: ViewItem): HTMLElement | null {
  if (item.required) {
    return el('span', { class: 'required' }, ' (required)');
  }
  return item.requiredWhen === undefined ? null : el('span', { class: 'required' }, ' (required here)');
}

function confirmControl(item: ViewItem, answer: unknown, handlers: ItemHandlers): HTMLElement {
  const input = el('input', { type: 'checkbox', id: `item-${item.id}`, name: item.id });
  input.checked = answer === true;
  input.addEventListener('change', () => handlers.onChange(item.id, input.checked));
  return el('label', { for: `item-${item.id}`, class: 'confirm' }, input, ` ${item.text}`, requiredMark(item));
}

function choiceControl(item: ViewItem, answer: unknown, handlers: ItemHandlers): HTMLElement {
  const options = (item.options ?? []).map((option) => {
    const input = el('input', { type: 'radio', name: item.id, value: option.code, id: `item-${item.id}-${option.code}` });
    input.checked = answer === option.code;
    input.addEventListener('change', () => handlers.onChange(item.id, option.code));
    return el('label', { for: input.id, class: 'option' }, input, ` ${option.display}`);
  });
  return el('fieldset', { class: 'choice' }, el('legend', {}, item.text, requiredMark(item)), ...options);
}

/** Text items are single `input`s (the end-to-end contract is `[data-item-id] input`); the length is bounded. */
function textControl(item: ViewItem, answer: unknown, handlers: ItemHandlers): HTMLElement {
  const input = item.kind === 'datetime'
    ? el('input', { type: 'datetime-local', id: `item-${item.id}`, name: item.id })
    : el('input', { type: 'text', id: `item-${item.id}`, name: item.id, maxlength: String(MAX_TEXT), dir: 'auto', autocomplete: 'off' });
  input.value = typeof answer === 'string' ? answer : '';
  input.addEventListener('input', () => handlers.onChange(item.id, input.value === '' ? undefined : input.value));
  return el('label', { for: input.id, class: 'text' }, el('span', {}, item.text, requiredMark(item)), input);
}

/** App-filled items show the server's value; there is nothing to edit. */
function appFilledControl(item: ViewItem, answer: unknown): HTMLElement {
  const shown = typeof answer === 'string' && answer !== '' ? answer : 'Filled in by the app when the discussion is completed.';
  return el('div', { class: 'app-filled' }, el('span', { class: 'label' }, item.text), ' ', el('output', { dir: 'auto' }, shown));
}

/** Per item: its kind, whether it is required now and answered (styles, tests), and a slot for its error message. */
export function itemControl(item: ViewItem, answers: Answers, handlers: ItemHandlers, discussedAll = false): HTMLElement {
  const answer = answers[item.id]?.value;
  let control: HTMLElement;
  if (item.filledBy === 'app') {
    control = appFilledControl(item, answer);
  } else if (item.kind === 'confirm') {
    control = confirmControl(item, answer, handlers);
  } else if (item.kind === 'choice') {
    control = choiceControl(item, answer, handlers);
  } else {
    control = textControl(item, answer, handlers);
  }
  const node = el('div', { class: 'checklist-item', 'data-item-id': item.id, 'data-kind': item.kind }, control,
    el('p', { class: 'item-error', id: errorId(item.id), hidden: '' }));
  if (discussedAll) {
    node.dataset.discussedAll = 'true';
  }
  return node;
}

function errorId(itemId: string): string {
  return `item-${itemId}-error`;
}

/** The section's "discussed all of the above": ticks its discussed-type items, each can be unticked afterwards. */
function discussedAllControl(group: DiscussionView['checklist']['groups'][number], items: ViewItem[], handlers: ItemHandlers): HTMLElement | null {
  const topics = items.filter((item) => isDiscussedAllItem(item, group.discussedAll === true));
  if (topics.length === 0) {
    return null;
  }
  const said = el('span', { class: 'discussed-all-result', role: 'status' });
  const button = el('button', { type: 'button', class: 'secondary', 'data-action': 'discussed-all', 'aria-describedby': `group-${group.id}-progress` }, 'Discussed all of the above');
  button.addEventListener('click', () => {
    const root = button.closest('[data-group]');
    const ticked = topics.filter((item) => {
      const input = root?.querySelector<HTMLInputElement>(`[data-item-id="${CSS.escape(item.id)}"]:not([hidden]) input[type="checkbox"]`);
      if (input === null || input === undefined || input.disabled) {
        return false;
      }
      input.checked = true;
      return true;
    });
    handlers.onChangeMany(ticked.map((item) => item.id), true);
    said.textContent = ` ${ticked.length} ${ticked.length === 1 ? 'topic' : 'topics'} ticked as discussed. Untick any that were not.`;
  });
  return el('div', { class: 'discussed-all' }, button, said);
}

export function groupSections(view: DiscussionView, answers: Answers, handlers: ItemHandlers): HTMLElement[] {
  return view.checklist.groups.map((group) => {
    const items = groupItems(view, group.id);
    const nodes = items.map((item) => {
      const node = itemControl(item, answers, handlers, isDiscussedAllItem(item, group.discussedAll === true));
      node.hidden = !isShown(item, answers);
      return node;
    });
    return el('fieldset', { class: 'checklist-group', 'data-group': group.id },
      el('legend', {}, group.label),
      el('p', { class: 'group-progress', id: `group-${group.id}-progress` }),
      ...nodes,
      discussedAllControl(group, items, handlers),
    );
  });
}

/**
 * Re-applies what depends on the answers: visibility (a trigger may have been chosen or unchosen), which items are
 * required and answered, and the progress of each section and of the whole checklist.
 */
export function refreshState(root: HTMLElement, view: DiscussionView, answers: Answers): Progress {
  for (const item of view.checklist.items) {
    const node = root.querySelector<HTMLElement>(`[data-item-id="${CSS.escape(item.id)}"]`);
    if (node !== null) {
      node.hidden = !isShown(item, answers);
      node.dataset.required = String(needsClinician(item, answers));
      node.dataset.answered = String(isAnswered(item, answers));
    }
  }
  for (const group of view.checklist.groups) {
    const progress = progressOf(groupItems(view, group.id), answers);
    const line = root.querySelector<HTMLElement>(`#group-${CSS.escape(group.id)}-progress`);
    if (line !== null) {
      line.textContent = progress.required === 0 ? 'Nothing required here.' : progressText(progress);
      line.dataset.complete = String(progress.answered === progress.required);
    }
  }
  return progressOf(view.checklist.items, answers);
}

/**
 * Marks (or clears) the items the server named as missing or invalid, for sight and for screen readers: the
 * message sits at the item, and each of its inputs is `aria-invalid` and described by it.
 */
export function markProblems(root: HTMLElement, problems: ReadonlyMap<string, string>): void {
  for (const node of root.querySelectorAll<HTMLElement>('[data-item-id]')) {
    const id = node.dataset.itemId ?? '';
    const message = problems.get(id);
    node.classList.toggle('missing', message !== undefined);
    const slot = node.querySelector<HTMLElement>('.item-error');
    if (slot !== null) {
      slot.textContent = message ?? '';
      slot.hidden = message === undefined;
    }
    for (const input of node.querySelectorAll('input, textarea')) {
      if (message !== undefined) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', errorId(id));
      } else {
        input.removeAttribute('aria-invalid');
        input.removeAttribute('aria-describedby');
      }
    }
  }
}

/** The control a summary link leads to: the chosen option of a choice, else the item's first input. */
export function focusTarget(root: ParentNode, itemId: string): HTMLElement | null {
  const node = root.querySelector(`[data-item-id="${CSS.escape(itemId)}"]`);
  return node?.querySelector<HTMLElement>('input:checked') ?? node?.querySelector<HTMLElement>('input, textarea') ?? null;
}

/** Everything locked once the discussion is attested. */
export function lockInputs(root: HTMLElement): void {
  for (const input of root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLButtonElement>('input, textarea, button')) {
    input.disabled = true;
  }
}
