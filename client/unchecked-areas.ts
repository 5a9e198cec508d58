import { el } from './dom';

/**
 * The parts of the chart the tailoring could not check (a read refused or failed), as the server words them:
 * "Conditions could not be read: bleeding risk and infection risk were not checked from the chart." Shown in the
 * handout tab and the checklist so that no flag raised never reads as "no risk". Server text, set as text only.
 */
export interface UncheckedAreaView {
  read: string;
  text: string;
}

export function uncheckedAreasNotice(areas: readonly UncheckedAreaView[], what: string): HTMLElement | null {
  if (areas.length === 0) {
    return null;
  }
  return el(
    'section',
    { class: 'card unchecked-areas', id: 'unchecked-areas', role: 'note', 'aria-labelledby': 'unchecked-areas-title' },
    el('h3', { id: 'unchecked-areas-title' }, 'Not checked from the chart'),
    el('ul', {}, ...areas.map((area) => el('li', { class: 'read-note', 'data-read': area.read }, area.text))),
    el('p', {}, what),
  );
}
