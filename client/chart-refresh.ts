import type { SnapshotChanges } from '../server/chart-snapshot/snapshot-diff';
import { el } from './dom';
import { isSessionEnded, showSessionEnded } from './session-ended';

/**
 * "Refresh from the chart": the app works from the chart as read at launch; this reads it again on purpose and
 * says, in plain words, what changed since. Chart strings are set as text (el), never as HTML.
 */
export interface RefreshAnswer {
  previousRead: string;
  chartRead: { readAt: string; sha256: string };
  changes: SnapshotChanges;
}

const READ_NAMES: Record<string, string> = {
  patient: 'Patient', encounter: 'Encounter', practitioner: 'Clinician', conditions: 'Conditions', medicationRequests: 'Medication orders',
  medicationStatements: 'Medication lists', allergies: 'Allergies', observations: 'Results', procedures: 'Procedures', devices: 'Devices',
};

const time = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** One line per change; "No changes…" when there are none. */
export function changeLines(answer: RefreshAnswer): string[] {
  const c = answer.changes;
  if (c.none) {
    return [`No changes in the chart since ${time(answer.previousRead)}.`];
  }
  return [
    ...c.flagsRaised.map((f) => `New since the last read: ${f.title}`),
    ...c.flagsResolved.map((f) => `No longer raised: ${f.title}`),
    ...c.medicationsAdded.map((m) => `Medication added: ${m.display}`),
    ...c.medicationsRemoved.map((m) => `Medication no longer in the chart: ${m.display}`),
    ...c.medicationsChanged.map((m) => `Medication changed: ${m.before ?? ''} → ${m.display}`),
    ...c.readsChanged.map((r) => `${READ_NAMES[r.read] ?? r.read}: ${r.after === 'ok' ? 'now read' : `now ${r.after.replace(/-/g, ' ')}`} (was ${r.before.replace(/-/g, ' ')})`),
  ];
}

/** The card on the Chart tab: when the chart was read, the refresh button, and the last refresh's changes. */
export function chartReadCard(options: { launchId: string; csrfToken: string; readAt: string | undefined; lastChanges: string[]; onRefreshed: (lines: string[]) => void }): HTMLElement {
  const button = el('button', { type: 'button', id: 'refresh-chart', class: 'secondary' }, 'Refresh from the chart');
  const status = el('p', { id: 'refresh-status', role: 'status' });
  button.addEventListener('click', () => {
    button.setAttribute('disabled', '');
    status.textContent = 'Reading the chart…';
    void fetch(`/api/launches/${encodeURIComponent(options.launchId)}/chart/refresh`, { method: 'POST', headers: { 'x-csrf-token': options.csrfToken, accept: 'application/json' } })
      .then(async (response) => {
        const body = (await response.json()) as RefreshAnswer | { message?: string };
        if (isSessionEnded(body)) {
          showSessionEnded();
        }
        if (!response.ok || !('changes' in body)) {
          throw new Error('message' in body && body.message !== undefined ? body.message : 'The chart could not be read again.');
        }
        options.onRefreshed(changeLines(body));
      })
      .catch((error: unknown) => {
        status.textContent = error instanceof Error ? error.message : 'The chart could not be read again.';
        // After the EHR ended the session a retry cannot work: the button stays off (a relaunch is the way on).
        if (document.getElementById('session-ended') === null) {
          button.removeAttribute('disabled');
        }
      });
  });
  const read = options.readAt === undefined ? 'Chart read at launch.' : `Chart read at ${time(options.readAt)}. Everything here is from that read.`;
  return el(
    'section',
    { class: 'card', 'data-section': 'chart-read' },
    el('h2', {}, 'Chart'),
    el('p', {}, read),
    button,
    status,
    ...(options.lastChanges.length === 0 ? [] : [el('ul', { id: 'chart-changes' }, ...options.lastChanges.map((line) => el('li', {}, line)))]),
  );
}
