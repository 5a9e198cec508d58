import { parseSearchRequest } from '@medplum/core';
import type { DocumentReference } from '@medplum/fhirtypes';
import type { WriteLogEntry } from '../../server/sandbox';
import type { AppSite, CompletedLaunch } from './launch-helpers';
import { launchAs } from './launch-helpers';
import type { TestSystem } from './system';

/**
 * Driving the filing of a discussion note the way the clinician's page does (launch → checklist → attest → file →
 * poll), queuing sandbox EHR faults, and looking at what really reached the chart.
 */
export interface AttestedSession {
  launch: CompletedLaunch;
  csrf: string;
  api: string;
  discussionId: string;
  patient: string;
}

export interface ApiAnswer {
  status: number;
  body: Record<string, any>;
}

export async function call(system: AppSite, s: { launch: CompletedLaunch; csrf: string }, method: string, url: string, body?: unknown): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', origin: system.appUrl, 'x-csrf-token': s.csrf };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await s.launch.agent.request(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** A launch of this patient as this EHR vendor (and as this sandbox user: default the physician), with its CSRF token. */
export async function openLaunch(system: AppSite, patient: string, vendor: string, user?: string): Promise<{ launch: CompletedLaunch; csrf: string; api: string }> {
  const launch = await launchAs(system, { patient, vendor, ...(user === undefined ? {} : { user }) });
  if (launch.finalResponse.status !== 200) {
    throw new Error(`launch failed: ${launch.finalResponse.status}`);
  }
  const shell = await launch.finalResponse.text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(shell)?.[1] ?? '';
  return { launch, csrf, api: `${system.appUrl}/api/launches/${launch.launchId}/discussion` };
}

/** Every clinician item answered (first option of each choice) and saved; answers with the saved view. */
export async function completedChecklist(system: AppSite, session: { launch: CompletedLaunch; csrf: string; api: string }): Promise<ApiAnswer> {
  const view = (await call(system, session, 'GET', session.api)).body;
  const answers: Record<string, { value: boolean | string }> = {};
  const firstValue = (item: Record<string, any>): boolean | string => {
    if (item.kind === 'confirm') {
      return true;
    }
    return item.kind === 'choice' ? (item.options[0].code as string) : 'Recorded in the test.';
  };
  for (const item of view.checklist.items as Array<Record<string, any>>) {
    if (item.filledBy !== 'app' && item.requiredWhen === undefined) {
      answers[item.id] = { value: firstValue(item) };
    }
  }
  return call(system, session, 'PUT', `${session.api}/answers`, { version: view.discussion.version, answers });
}

/** Every clinician item answered, then attested: what a complete discussion is. */
export async function attestedDiscussion(system: AppSite, patient: string, vendor: string): Promise<AttestedSession> {
  const session = await openLaunch(system, patient, vendor);
  const saved = await completedChecklist(system, session);
  const attested = await call(system, session, 'POST', `${session.api}/attest`, { version: saved.body.discussion.version });
  if (attested.status !== 200) {
    throw new Error(`attestation failed: ${attested.status} ${JSON.stringify(attested.body).slice(0, 300)}`);
  }
  return { ...session, discussionId: attested.body.discussion.id as string, patient };
}

export function fileNote(system: AppSite, s: AttestedSession, discussionId: string = s.discussionId): Promise<ApiAnswer> {
  return call(system, s, 'POST', `${s.api}/file`, { discussionId });
}

export async function filingState(system: AppSite, s: { launch: CompletedLaunch; csrf: string; api: string }, discussionId: string): Promise<Record<string, any>> {
  return (await call(system, s, 'GET', `${s.api}/filing?discussionId=${discussionId}`)).body;
}

/** Polls the filing state (as the page does) until `done` holds or `ms` pass; returns the last state. */
export async function waitForFiling(
  system: AppSite,
  s: { launch: CompletedLaunch; csrf: string; api: string },
  discussionId: string,
  done: (state: Record<string, any>) => boolean = (state) => state.final === true,
  ms = 20_000,
): Promise<Record<string, any>> {
  const until = Date.now() + ms;
  let state = await filingState(system, s, discussionId);
  while (!done(state) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = await filingState(system, s, discussionId);
  }
  return state;
}

export interface FaultRequest {
  fault: 'rate-limit' | 'unavailable' | 'drop-after-store' | 'slow' | 'unauthorized' | 'server-error' | 'no-location';
  patient?: string;
  count?: number;
  retryAfter?: number | 'http-date';
  retryAfterSeconds?: number;
  delayMs?: number;
  scope?: 'write' | 'read';
  resourceType?: string;
}

export async function queueFault(system: AppSite, fault: FaultRequest): Promise<void> {
  const response = await fetch(`${system.sandboxUrl}/simulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (response.status !== 201) {
    throw new Error(`the sandbox refused the fault: ${response.status} ${await response.text()}`);
  }
}

export async function clearFaults(system: AppSite): Promise<void> {
  await fetch(`${system.sandboxUrl}/simulator/faults`, { method: 'DELETE' });
}

/** The notes in the sandbox chart for this discussion (found by the discussion id the note text carries). */
export async function notesInChart(system: Pick<TestSystem, 'sandbox'>, patient: string, discussionId: string): Promise<DocumentReference[]> {
  const repo = system.sandbox?.sandbox.repo;
  if (repo === undefined) {
    throw new Error('no sandbox');
  }
  const all = await repo.searchResources(parseSearchRequest<DocumentReference>(`DocumentReference?patient=Patient/${patient}&_count=1000`));
  const marker = `Discussion ID: urn:uuid:${discussionId}`;
  return all.filter((doc) => doc.content.some((c) => Buffer.from(c.attachment.data ?? '', 'base64').toString('utf8').includes(marker)));
}

/** DocumentReference POSTs the sandbox received for this patient since `since` (ms). */
export function postsSince(system: Pick<TestSystem, 'sandbox'>, patient: string, since: number): WriteLogEntry[] {
  return system.sandbox!.sandboxWriteLog().filter((entry) => entry.method === 'POST' && entry.patientId === patient && entry.at >= since);
}
