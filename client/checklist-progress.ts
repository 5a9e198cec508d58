import type { Answers, DiscussionView, ViewItem } from './checklist-items';

/**
 * How far the clinician is: which shown items are required now and which of those are answered, per section and
 * overall. A display of the page's state only — the server's `validateForAttestation` decides at attestation (the
 * browser bundle may not import the server's code, so the few rules the count needs are mirrored here).
 */

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

/** Required now: required by the content, or made required by its trigger. App-filled items are the server's. */
export function needsClinician(item: ViewItem, answers: Answers): boolean {
  return item.filledBy !== 'app' && isShown(item, answers) && (item.required || item.requiredWhen !== undefined);
}

/** Ticked, a listed option chosen, non-blank text, or a date-time entered. */
export function isAnswered(item: ViewItem, answers: Answers): boolean {
  const value = answers[item.id]?.value;
  switch (item.kind) {
    case 'confirm':
      return value === true;
    case 'choice':
      return typeof value === 'string' && (item.options ?? []).some((o) => o.code === value);
    case 'text':
    case 'datetime':
      return typeof value === 'string' && value.trim() !== '';
  }
}

/** The confirm items "discussed all of the above" ticks in a section that offers it. */
export function isDiscussedAllItem(item: ViewItem, groupOffersIt: boolean): boolean {
  return groupOffersIt && item.kind === 'confirm' && item.filledBy !== 'app' && item.confirmAlone !== true;
}

export interface Progress {
  answered: number;
  required: number;
}

export function progressOf(items: readonly ViewItem[], answers: Answers): Progress {
  const required = items.filter((item) => needsClinician(item, answers));
  return { answered: required.filter((item) => isAnswered(item, answers)).length, required: required.length };
}

export function progressText(progress: Progress): string {
  return `${progress.answered} of ${progress.required} required answered`;
}

export function groupItems(view: DiscussionView, groupId: string): ViewItem[] {
  return view.checklist.items.filter((item) => item.group === groupId);
}
