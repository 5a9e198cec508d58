import type { DiscussionView } from './checklist-items';
import { chartText, el } from './dom';
import { uncheckedAreasNotice } from './unchecked-areas';

/**
 * The tailoring flags behind the checklist (why an item is there, with its source and chart evidence, and the
 * clinician's option to set one aside with a reason) and the clinician's free-text notes. Chart text is shown with
 * `chartText` (text only, isolated direction).
 */
type Flag = DiscussionView['discussion']['flagsShown'][number];
type Dismissal = DiscussionView['discussion']['dismissedFlags'][number];

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function dismissControls(flag: Flag, onDismiss: (flagId: string, reason: string) => void): HTMLElement {
  const reason = el('input', { type: 'text', maxlength: '500', 'aria-label': `Why set aside: ${flag.title}`, class: 'dismiss-reason' });
  const confirm = el('button', { type: 'button', class: 'secondary', 'data-action': 'confirm-dismiss' }, 'Set aside');
  const form = el('div', { class: 'dismiss-form', hidden: '' }, reason, ' ', confirm);
  const open = el('button', { type: 'button', class: 'secondary', 'data-action': 'dismiss' }, 'Set aside…');
  open.addEventListener('click', () => {
    form.hidden = false;
    open.hidden = true;
    reason.focus();
  });
  confirm.addEventListener('click', () => {
    if (reason.value.trim() === '') {
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    onDismiss(flag.id, reason.value.trim());
  });
  return el('div', { class: 'dismiss' }, open, form);
}

/** Severity in words and an icon as well as colour (WCAG 1.4.1); the icon is decoration, the word is read out. */
const SEVERITY: Record<Flag['severity'], { icon: string; word: string }> = {
  alert: { icon: '▲', word: 'Alert' },
  caution: { icon: '◆', word: 'Caution' },
  info: { icon: 'ℹ', word: 'Information' },
};

function severityBadge(severity: Flag['severity']): HTMLElement {
  const { icon, word } = SEVERITY[severity];
  return el('span', { class: `severity ${severity}` }, el('span', { 'aria-hidden': 'true', class: 'severity-icon' }, icon), ` ${word}`);
}

function flagItem(flag: Flag, dismissal: Dismissal | undefined, locked: boolean, onDismiss: (flagId: string, reason: string) => void): HTMLElement {
  const evidence = flag.evidence.map((e) => el('li', {}, chartText('evidence', e.display)));
  const state = dismissal === undefined
    ? null
    : el('p', { class: 'dismissed' }, 'Set aside: ', el('span', { dir: 'auto' }, dismissal.reason), ` (${when(dismissal.at)})`);
  return el(
    'li',
    { class: `flag ${flag.severity}`, 'data-flag-id': flag.id, 'data-dismissed': String(dismissal !== undefined) },
    el('p', { class: 'flag-title' }, severityBadge(flag.severity), ': ', el('strong', {}, flag.title)),
    el('p', {}, flag.reason),
    el('p', { class: 'source' }, 'Source: ', flag.source.text),
    evidence.length > 0 ? el('ul', { class: 'evidence' }, ...evidence) : null,
    state,
    dismissal === undefined && !locked ? dismissControls(flag, onDismiss) : null,
  );
}

export function flagsSection(view: DiscussionView, locked: boolean, onDismiss: (flagId: string, reason: string) => void): HTMLElement {
  const { flagsShown, dismissedFlags, uncheckedAreas } = view.discussion;
  // With a read missing, "no flags" is only about what could be read: it must not read as "no risks".
  const none = uncheckedAreas.length === 0
    ? 'No tailoring flags were raised from the chart.'
    : 'No tailoring flags were raised from the parts of the chart the app could read.';
  const body = flagsShown.length === 0
    ? el('p', { class: 'none' }, none)
    : el('ul', { class: 'flags' }, ...flagsShown.map((f) => flagItem(f, dismissedFlags.find((d) => d.flagId === f.id), locked, onDismiss)));
  const unchecked = uncheckedAreasNotice(uncheckedAreas, 'Review these parts of the chart yourself and confirm each below before completing the discussion.');
  return el('section', { class: 'card checklist-flags', 'data-section': 'flags' }, el('h3', {}, 'Why the handout and checklist are tailored'), unchecked, body);
}

/** Notes the clinician wrote for the patient (each is printed on the handout), with a Remove button on a draft. */
export function notesSection(view: DiscussionView, locked: boolean, onAdd: (text: string) => void, onRemove: (noteId: string) => void): HTMLElement {
  const notes = view.discussion.clinicianNotes.map((n, index) => {
    const item = el('li', {}, el('span', { dir: 'auto' }, n.text), ` (${when(n.at)}) `);
    if (!locked) {
      const remove = el('button', { type: 'button', class: 'link remove-note', 'data-note': n.id, 'aria-label': `Remove note ${index + 1}` }, 'Remove');
      remove.addEventListener('click', () => onRemove(n.id));
      item.append(remove);
    }
    return item;
  });
  const list = notes.length > 0 ? el('ul', { class: 'notes' }, ...notes) : el('p', { class: 'none' }, 'No notes.');
  if (locked) {
    return el('section', { class: 'card checklist-notes', 'data-section': 'notes' }, el('h3', {}, 'Notes'), list);
  }
  const text = el('textarea', { id: 'note-text', rows: '2', maxlength: '2000', dir: 'auto', 'aria-label': 'New note' });
  const add = el('button', { type: 'button', id: 'add-note', class: 'secondary' }, 'Add note');
  add.addEventListener('click', () => {
    if (text.value.trim() !== '') {
      onAdd(text.value.trim());
    }
  });
  return el('section', { class: 'card checklist-notes', 'data-section': 'notes' }, el('h3', {}, 'Notes'), list, text, add);
}
