import type { TestSystem } from './system';

/**
 * What the adversarial launch tests observe from outside the launch code: the page as a clinician reads it, the
 * audit rows a refusal left, and the requests the sandbox EHR received (so "nothing was sent" is counted, not assumed).
 */
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** HTML as a clinician reads it: tags dropped, entities decoded. */
export function readable(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** The page as a clinician reads it. */
export async function pageText(response: Response): Promise<string> {
  return readable(await response.text());
}

/** The audit trail's newest sequence number: rows after it are the ones a test caused. */
export async function auditHead(system: TestSystem): Promise<number> {
  return Number((await system.db.query<{ seq: string }>('SELECT seq::text AS seq FROM audit_head'))[0]?.seq ?? 0);
}

/** The reason codes of the `launch.rejected` rows (outcome `refused`) written after `since`, oldest first. */
export async function launchRejectionsSince(system: TestSystem, since: number): Promise<string[]> {
  const rows = await system.db.query<{ reason: string | null }>(
    `SELECT record->>'reason' AS reason FROM audit_events WHERE seq > $1 AND action = 'launch.rejected' AND outcome = 'refused' ORDER BY seq`,
    [since],
  );
  return rows.map((row) => row.reason ?? '');
}

/** Every request the sandbox EHR has received so far. */
export const sandboxRequestCount = (system: TestSystem): number => system.sandbox?.requestCount() ?? 0;

/** Authorization-code (and refresh) requests the sandbox EHR's token endpoint has received so far. */
export const sandboxTokenRequests = (system: TestSystem): number =>
  (system.sandbox?.requests() ?? []).filter((r) => r.method === 'POST' && r.path === '/auth/token').length;

/** Authorizations in flight (between the redirect to the EHR and the callback). */
export async function pendingAuthorizations(system: TestSystem): Promise<number> {
  return Number((await system.db.query<{ n: string }>('SELECT count(*)::text AS n FROM pending_authorizations'))[0]?.n ?? 0);
}
