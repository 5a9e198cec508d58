import { el } from './dom';

/**
 * When the EHR ends the session (its token and the refresh both refused), the page says so once, at the top, and
 * stops offering actions that would fail one by one. What is on the page stays readable; everything already saved
 * is on the server and a relaunch from the chart opens it again.
 */
export const SESSION_ENDED_REASON = 'ehr_session_ended';

export function isSessionEnded(body: unknown): boolean {
  const details = (body as { details?: { reason?: unknown } } | null)?.details;
  return details?.reason === SESSION_ENDED_REASON;
}

export function showSessionEnded(): void {
  if (document.getElementById('session-ended') !== null) {
    return;
  }
  const notice = el('div', { id: 'session-ended', class: 'session-ended', role: 'alert' },
    el('strong', {}, 'Your session with the EHR has ended. '),
    'Launch the app again from the patient\'s chart: everything entered so far is kept and opens again.');
  document.body.prepend(notice);
  // The tabs stay: reading what is on the page is still useful; acting on it is not.
  for (const control of document.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('button:not([role="tab"]), input, textarea, select')) {
    control.disabled = true;
  }
}
