import type { DiscussionView as ServerView, ViewItem } from '../server/consent/discussion-view';
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

export function itemControl(item: ViewItem, answers: Answers, handlers: ItemHandlers): HTMLElement {
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
  return el('div', { class: 'checklist-item', 'data-item-id': item.id, 'data-kind': item.kind }, control);
}

/**
 * Follow-up items (interpreter ID, re-teach notes, why no interpreter was needed) are shown only when their trigger
 * answer is chosen.
 */
export function isShown(item: ViewItem, answers: Answers): boolean {
  const when = item.requiredWhen ?? item.shownWhen;
  if (when === undefined) {
    return true;
  }
  const trigger = answers[when.item]?.value;
  return typeof trigger === 'string' && when.anyOf.includes(trigger);
}

export function groupSections(view: DiscussionView, answers: Answers, handlers: ItemHandlers): HTMLElement[] {
  return view.checklist.groups.map((group) => {
    const items = view.checklist.items.filter((item) => item.group === group.id).map((item) => {
      const node = itemControl(item, answers, handlers);
      node.hidden = !isShown(item, answers);
      return node;
    });
    return el('fieldset', { class: 'checklist-group', 'data-group': group.id }, el('legend', {}, group.label), ...items);
  });
}

/** Re-applies visibility after an answer changed (a trigger may have been chosen or unchosen). */
export function refreshVisibility(root: HTMLElement, view: DiscussionView, answers: Answers): void {
  for (const item of view.checklist.items) {
    const node = root.querySelector<HTMLElement>(`[data-item-id="${CSS.escape(item.id)}"]`);
    if (node !== null) {
      node.hidden = !isShown(item, answers);
    }
  }
}

/** Marks (or clears) the items the server named as missing or invalid, for sight and for screen readers. */
export function markProblems(root: HTMLElement, ids: ReadonlySet<string>): void {
  for (const node of root.querySelectorAll<HTMLElement>('[data-item-id]')) {
    const bad = ids.has(node.dataset.itemId ?? '');
    node.classList.toggle('missing', bad);
    for (const input of node.querySelectorAll('input, textarea')) {
      if (bad) {
        input.setAttribute('aria-invalid', 'true');
      } else {
        input.removeAttribute('aria-invalid');
      }
    }
  }
}

/** Everything locked once the discussion is attested. */
export function lockInputs(root: HTMLElement): void {
  for (const input of root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLButtonElement>('input, textarea, button')) {
    input.disabled = true;
  }
}
