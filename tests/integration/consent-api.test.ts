import type { DiscussionView } from '../../client/checklist-items';
import { loadInterpreterNotices } from '../../server/content/content-packs';
import { escapeHtml } from '../../server/http/html';
import type { CompletedLaunch } from '../support/launch-helpers';
import { launchAs } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The consent-discussion checklist over the real system (app + sandbox EHR, real launches, PGlite store): what the
 * clinician relies on — the checklist tailored to the chart, nothing entered lost across reloads and relaunches,
 * the server refusing to attest an incomplete record, CSRF and version checks, and server-set facts.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

interface Session {
  launch: CompletedLaunch;
  csrf: string;
  base: string;
}

type ViewItem = DiscussionView['checklist']['items'][number];

/** A discussion view, or an AppError body (`{ error, message, hint, details }`). */
type ApiBody = DiscussionView & {
  error?: string;
  message?: string;
  details?: { reason?: string; missing?: Array<{ id: string; text: string }>; refused?: unknown[] };
};

async function open(patient: string): Promise<Session> {
  const launch = await launchAs(system, { patient });
  expect(launch.finalResponse.status).toBe(200);
  const shell = await launch.finalResponse.text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(shell)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return { launch, csrf, base: `${system.appUrl}/api/launches/${launch.launchId}/discussion` };
}

interface CallOptions {
  csrf?: string | null;
  origin?: string;
}

async function call(s: Session, method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<{ status: number; body: ApiBody }> {
  const headers: Record<string, string> = { accept: 'application/json', origin: options.origin ?? system.appUrl };
  const csrf = options.csrf === undefined ? s.csrf : options.csrf;
  if (csrf !== null) {
    headers['x-csrf-token'] = csrf;
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await s.launch.agent.request(`${s.base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as ApiBody };
}

function firstValue(item: ViewItem): boolean | string {
  if (item.kind === 'confirm') {
    return true;
  }
  return item.kind === 'choice' ? (item.options?.[0]?.code ?? '') : 'Recorded in the test.';
}

/** What a clinician who ticks everything enters: every shown clinician item, first option of each choice. */
function completeAnswers(items: ViewItem[]): Record<string, { value: boolean | string }> {
  const answers: Record<string, { value: boolean | string }> = {};
  for (const item of items.filter((i) => i.filledBy !== 'app' && i.requiredWhen === undefined)) {
    answers[item.id] = { value: firstValue(item) };
  }
  return answers;
}

describe('the discussion of a launch', () => {
  test('is tailored to the chart, says it is not the consent form, and carries the server-filled facts', async () => {
    const s = await open('anticoagulant-patient');
    const { status, body } = await call(s, 'GET', '');
    expect(status).toBe(200);
    expect(body.statement).toMatch(/not the legal consent form/i);
    // Opening the checklist creates nothing: the draft is shown unsaved (version 0) until the first change.
    expect(body.discussion).toMatchObject({ status: 'draft', version: 0, id: '', patientId: 'anticoagulant-patient', encounterId: 'anticoagulant-encounter' });
    expect(body.discussion.clinician.fhirUser).toMatch(/Practitioner\/itdd-dr-rivera$/);
    expect(body.discussion.flagsShown.map((f: { id: string }) => f.id)).toContain('antithrombotic-bleeding-risk');
    expect(body.activeFlags).toContain('bleeding-risk');
    const ids = body.checklist.items.map((i) => i.id);
    expect(ids).toContain('tailored-bleeding');
    expect(ids).not.toContain('tailored-baclofen');
    expect(body.discussion.pack.language).toBe('en');
    expect(body.discussion.answers['handout-version']).toEqual({ value: body.discussion.pack.version });
    expect(body.discussion.answers['handout-title']).toEqual({ value: body.discussion.pack.title });
    expect(body.discussion.answers['discussion-practitioner'].value).not.toBe('');
    expect(body.discussion.answers['attestation-datetime']).toBeUndefined();
  });

  test('the handout pack follows the patient\'s language; a language without one records the interpreter need', async () => {
    const spanish = (await call(await open('spanish-speaker-patient'), 'GET', '')).body.discussion;
    expect(spanish.pack.language).toBe('es');
    expect(spanish.interpreterNeeded).toBe(false);
    expect(spanish.answers['handout-language']).toEqual({ value: 'Spanish (es)' });
    expect(spanish.answers['preferred-language']?.value).toMatch(/\(es\)$/);
    const arabic = (await call(await open('arabic-rtl-name-patient'), 'GET', '')).body.discussion;
    expect(arabic.pack.language).toBe('en');
    expect(arabic.interpreterNeeded).toBe(true);
    expect(arabic.answers['preferred-language']?.value).toMatch(/\(ar\)$/);
  });

  test('attesting with items missing is refused with 422 naming them, and nothing changes', async () => {
    const s = await open('anticoagulant-patient');
    const { body: view } = await call(s, 'GET', '');
    const saved = await call(s, 'PUT', '/answers', { version: view.discussion.version, answers: { 'facility-name': { value: 'Sandbox clinic' } } });
    const refused = await call(s, 'POST', '/attest', { version: saved.body.discussion.version });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('unprocessable');
    const missing = refused.body.details?.missing ?? [];
    const byId = new Map(view.checklist.items.map((i) => [i.id, i.text]));
    for (const id of ['teach-back', 'attestation', 'interpreter-used', 'tailored-bleeding']) {
      expect(missing).toContainEqual({ id, text: byId.get(id) });
    }
    expect(missing.map((m) => m.id)).not.toContain('facility-name');
    expect(missing.map((m) => m.id)).not.toContain('attestation-datetime');
    const after = await call(s, 'GET', '');
    expect(after.body.discussion).toMatchObject({ status: 'draft', version: saved.body.discussion.version });
    expect(after.body.discussion.answers['facility-name']).toEqual({ value: 'Sandbox clinic' });
  });

  test('attesting a discussion never saved (as first opened) is refused and creates nothing: the page\'s first save is accepted', async () => {
    const s = await open('diabetes-hba1c-patient'); // no discussion of this patient yet in this file
    const { body: view } = await call(s, 'GET', '');
    expect(view.discussion.version).toBe(0);
    const refused = await call(s, 'POST', '/attest', { version: view.discussion.version });
    expect(refused.status).toBe(422);
    expect((await call(s, 'GET', '')).body.discussion.version).toBe(0);
    const saved = await call(s, 'PUT', '/answers', { version: view.discussion.version, answers: { 'facility-name': { value: 'Sandbox clinic' } } });
    expect(saved.status).toBe(200);
    expect(saved.body.discussion.answers['facility-name']).toEqual({ value: 'Sandbox clinic' });
  });

  test('what was saved survives a reload and a relaunch of the same patient and encounter', async () => {
    const first = await open('diabetes-hba1c-patient');
    const { body: view } = await call(first, 'GET', '');
    const saved = await call(first, 'PUT', '/answers', {
      version: view.discussion.version,
      answers: { 'facility-name': { value: 'Pain clinic, room 4' }, 'teach-back': { value: 'understood' }, alternatives: { value: true, note: 'SCS discussed' } },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.discussion.version).toBeGreaterThan(view.discussion.version);
    const reload = await call(first, 'GET', '');
    expect(reload.body.discussion.id).toBe(saved.body.discussion.id);
    expect(reload.body.discussion.answers).toMatchObject({
      'facility-name': { value: 'Pain clinic, room 4' }, 'teach-back': { value: 'understood' }, alternatives: { value: true, note: 'SCS discussed' },
    });
    const second = await open('diabetes-hba1c-patient');
    const relaunched = await call(second, 'GET', '');
    expect(relaunched.body.discussion.id).toBe(saved.body.discussion.id);
    expect(relaunched.body.discussion.launchId).toBe(second.launch.launchId);
    expect(relaunched.body.discussion.answers['facility-name']).toEqual({ value: 'Pain clinic, room 4' });
  });

  test('a full, valid attestation is stored as attested by the launch clinician at the server time', async () => {
    const s = await open('antiplatelet-patient');
    const { body: view } = await call(s, 'GET', '');
    const answers = { ...completeAnswers(view.checklist.items), 'attestation-datetime': { value: '1999-01-01T00:00:00Z' } };
    const saved = await call(s, 'PUT', '/answers', { version: view.discussion.version, answers });
    expect(saved.status).toBe(200);
    const before = Date.now();
    const attested = await call(s, 'POST', '/attest', { version: saved.body.discussion.version });
    expect(attested.status).toBe(200);
    const record = attested.body.discussion;
    expect(record.status).toBe('attested');
    expect(record.attestedBy).toBe(view.discussion.clinician.fhirUser);
    expect(Date.parse(record.attestedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(record.answers['attestation-datetime']).toEqual({ value: record.attestedAt });
    expect(record.answers['teach-back']).toEqual({ value: 'understood' });
    const reload = await call(s, 'GET', '');
    expect(reload.body.discussion).toMatchObject({ id: record.id, status: 'attested' });
    const late = await call(s, 'PUT', '/answers', { version: record.version, answers: {} });
    expect(late.status).toBe(409);
    const next = await call(await open('antiplatelet-patient'), 'GET', '');
    expect(next.body.discussion.id).not.toBe(record.id);
    expect(next.body.discussion.status).toBe('draft');
  });
});

describe('changes are guarded', () => {
  test('without the CSRF token or from another origin a change is refused with 403 and nothing is saved', async () => {
    const s = await open('sleep-apnoea-benzodiazepine-patient');
    const { body: view } = await call(s, 'GET', '');
    const body = { version: view.discussion.version, answers: { 'facility-name': { value: 'forged' } } };
    expect((await call(s, 'PUT', '/answers', body, { csrf: null })).status).toBe(403);
    expect((await call(s, 'PUT', '/answers', body, { csrf: 'x'.repeat(s.csrf.length) })).status).toBe(403);
    expect((await call(s, 'PUT', '/answers', body, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await call(s, 'POST', '/attest', { version: view.discussion.version }, { csrf: null })).status).toBe(403);
    const after = await call(s, 'GET', '');
    expect(after.body.discussion.version).toBe(view.discussion.version);
    expect(after.body.discussion.answers['facility-name']).toBeUndefined();
  });

  test('a save from a stale version is refused with 409', async () => {
    const s = await open('sleep-apnoea-benzodiazepine-patient');
    const { body: view } = await call(s, 'GET', '');
    const v = view.discussion.version;
    expect((await call(s, 'PUT', '/answers', { version: v, answers: { 'facility-name': { value: 'window one' } } })).status).toBe(200);
    const stale = await call(s, 'PUT', '/answers', { version: v, answers: { 'facility-name': { value: 'window two' } } });
    expect(stale.status).toBe(409);
    expect(stale.body.details?.reason).toBe('stale_version');
    expect((await call(s, 'POST', '/attest', { version: v })).status).toBe(409);
    expect((await call(s, 'GET', '')).body.discussion.answers['facility-name']).toEqual({ value: 'window one' });
  });

  test('app-filled values from the browser are ignored; unknown ids and bad values are refused', async () => {
    const s = await open('sleep-apnoea-benzodiazepine-patient');
    const { body: view } = await call(s, 'GET', '');
    const serverVersion = view.discussion.answers['handout-version'];
    const saved = await call(s, 'PUT', '/answers', { version: view.discussion.version, answers: { 'handout-version': { value: '9.9.9' } } });
    expect(saved.body.discussion.answers['handout-version']).toEqual(serverVersion);
    const unknown = await call(s, 'PUT', '/answers', { version: saved.body.discussion.version, answers: { 'no-such-item': { value: true } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details?.refused).toEqual([{ id: 'no-such-item', why: 'not an item of this checklist' }]);
    const tooLong = await call(s, 'PUT', '/answers', { version: saved.body.discussion.version, answers: { 'facility-name': { value: 'x'.repeat(2001) } } });
    expect(tooLong.status).toBe(400);
    expect((await call(s, 'PUT', '/answers', { version: 'one', answers: {} })).status).toBe(400);
  });
});

describe('what the handout is about: the clinician changes the chart\'s reading before printing', () => {
  const ids = (view: ApiBody): string[] => view.checklist.items.map((i) => i.id);

  test('the choice is saved by a PUT and the checklist, the preview, the PDF and the attestation follow it', async () => {
    const s = await open('anticoagulant-patient');
    const { body: view } = await call(s, 'GET', '');
    expect(view.scenario).toEqual({
      fromChart: { indication: 'non-cancer-pain', procedure: 'first-implant' },
      inForce: { indication: 'non-cancer-pain', procedure: 'first-implant' },
    });
    expect(ids(view)).toEqual(expect.arrayContaining(['benefit-trial-first', 'trial-explained']));
    // The preview takes no query override: a GET never changes what is printed.
    const preview = (query: string): Promise<string> => s.launch.agent.request(`${system.appUrl}/app/${s.launch.launchId}/handout${query}`).then((r) => r.text());
    expect(await preview('?procedure=replacement')).toContain('data-section="trial"');

    const chosen = await call(s, 'PUT', '/scenario', { version: view.discussion.version, procedure: 'replacement' });
    expect(chosen.status).toBe(200);
    expect(chosen.body.discussion.scenarioChoice).toEqual({ procedure: 'replacement' });
    expect(chosen.body.scenario.inForce).toEqual({ indication: 'non-cancer-pain', procedure: 'replacement' });
    expect(ids(chosen.body)).not.toContain('benefit-trial-first');
    expect(ids(chosen.body)).not.toContain('trial-explained');
    expect(ids(chosen.body)).toEqual(expect.arrayContaining(['benefit-trial-first-replacement', 'replacement-explained']));
    expect(await preview('')).not.toContain('data-section="trial"');
    const reload = await call(s, 'GET', '');
    expect(reload.body.scenario.inForce.procedure).toBe('replacement');

    // The server's rules follow it too: answering the replacement items (and not the trial ones) is enough to attest.
    const answers = completeAnswers(reload.body.checklist.items);
    expect(answers['benefit-trial-first']).toBeUndefined();
    const saved = await call(s, 'PUT', '/answers', { version: reload.body.discussion.version, answers });
    expect(saved.status).toBe(200);
    const attested = await call(s, 'POST', '/attest', { version: saved.body.discussion.version });
    expect(attested.status).toBe(200);
    expect(attested.body.discussion.answers['benefit-trial-first']).toBeUndefined();
    expect(attested.body.discussion.answers['benefit-trial-first-replacement']).toEqual({ value: true });
    expect(attested.body.discussion.scenarioChoice).toEqual({ procedure: 'replacement' });
    const note = await s.launch.agent.request(`${s.base}/note-preview`, { headers: { accept: 'application/json' } });
    expect(note.status).toBe(200);
    expect(((await note.json()) as { text: string }).text).toContain(
      'Handout and checklist for: pain not caused by cancer; a pump replacement or revision (no trial) (chosen by the clinician; the chart reads: pain not caused by cancer; a first implant after a trial)',
    );
    const late = await call(s, 'PUT', '/scenario', { version: attested.body.discussion.version, procedure: 'first-implant' });
    expect(late.status).toBe(409);
  });

  test('back to the chart\'s reading; what the chart already says is not kept as a choice; stale and bad choices are refused', async () => {
    const s = await open('baclofen-pump-patient');
    const { body: view } = await call(s, 'GET', '');
    expect(view.scenario.fromChart).toEqual({ indication: 'spasticity', procedure: 'replacement' });
    expect(ids(view)).not.toContain('benefit-trial-first');
    const trial = await call(s, 'PUT', '/scenario', { version: view.discussion.version, indication: 'spasticity', procedure: 'first-implant' });
    expect(trial.status).toBe(200);
    expect(trial.body.discussion.scenarioChoice).toEqual({ procedure: 'first-implant' });
    expect(ids(trial.body)).toContain('benefit-trial-first');
    expect((await call(s, 'PUT', '/scenario', { version: view.discussion.version, procedure: 'replacement' })).status).toBe(409);
    expect((await call(s, 'PUT', '/scenario', { version: trial.body.discussion.version, procedure: 'transplant' })).status).toBe(400);
    expect((await call(s, 'PUT', '/scenario', { version: trial.body.discussion.version, procedure: 'replacement' }, { csrf: null })).status).toBe(403);
    const back = await call(s, 'PUT', '/scenario', { version: trial.body.discussion.version, indication: null, procedure: null });
    expect(back.status).toBe(200);
    expect(back.body.discussion.scenarioChoice).toBeUndefined();
    expect(back.body.scenario.inForce).toEqual(view.scenario.fromChart);
    expect(ids(back.body)).not.toContain('benefit-trial-first');
  });
});

describe('flags and notes', () => {
  test('dismissing a flag records who and why and takes its checklist item off; a note is kept', async () => {
    const s = await open('baclofen-pump-patient');
    const { body: view } = await call(s, 'GET', '');
    const flag = view.discussion.flagsShown.find((f) => f.handoutFlag === 'baclofen-withdrawal')!;
    expect(flag).toBeDefined();
    expect(view.checklist.items.map((i) => i.id)).toContain('tailored-baclofen');
    const dismissed = await call(s, 'POST', `/flags/${flag.id}/dismiss`, { version: view.discussion.version, reason: 'Pump being explanted; no baclofen refills planned.' });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.discussion.dismissedFlags).toEqual([
      { flagId: flag.id, reason: 'Pump being explanted; no baclofen refills planned.', by: view.discussion.clinician.fhirUser, at: expect.any(String) },
    ]);
    expect(dismissed.body.checklist.items.map((i) => i.id)).not.toContain('tailored-baclofen');
    const unknown = await call(s, 'POST', '/flags/no-such-flag/dismiss', { version: dismissed.body.discussion.version, reason: 'r' });
    expect(unknown.status).toBe(404);
    const noted = await call(s, 'POST', '/notes', { version: dismissed.body.discussion.version, text: 'Wife present for the discussion.' });
    expect(noted.status).toBe(200);
    expect(noted.body.discussion.clinicianNotes).toEqual([
      { id: expect.any(String), text: 'Wife present for the discussion.', by: view.discussion.clinician.fhirUser, at: expect.any(String) },
    ]);
    expect((await call(s, 'POST', '/notes', { version: noted.body.discussion.version, text: '   ' })).status).toBe(400);
  });

  test('no answer, note or reason reaches the operational log', async () => {
    const s = await open('psychosis-ziconotide-patient');
    const { body: view } = await call(s, 'GET', '');
    await call(s, 'PUT', '/answers', { version: view.discussion.version, answers: { 'facility-name': { value: 'log-marker-answer-4410' } } });
    await call(s, 'POST', '/notes', { version: view.discussion.version + 1, text: 'log-marker-note-8812' });
    await call(s, 'POST', '/attest', { version: view.discussion.version + 2 });
    const logs = system.logLines.join('\n');
    expect(logs).not.toContain('log-marker-answer-4410');
    expect(logs).not.toContain('log-marker-note-8812');
  });
});

describe('the interpreter rule, for the Arabic-preferring patient printed the English handout', () => {
  test('"not needed" is refused with 422 naming the item; with a reason the discussion is attested and keeps it', async () => {
    const s = await open('arabic-rtl-name-patient');
    const { body: view } = await call(s, 'GET', '');
    expect(view.languageMismatches).toEqual(['the handout is in English (en)', 'the discussion was in English (en)']);
    const shownFor = new Map(view.checklist.items.map((i) => [i.id, i]));
    expect(shownFor.get('interpreter-not-needed-reason')?.shownWhen).toEqual({ item: 'interpreter-used', anyOf: ['not-needed'] });
    const answers: Record<string, { value: boolean | string }> = completeAnswers(view.checklist.items.filter((i) => i.shownWhen === undefined && i.id !== 'discussion-language'));
    answers['interpreter-used'] = { value: 'not-needed' };
    const saved = await call(s, 'PUT', '/answers', { version: view.discussion.version, answers });
    expect(saved.status).toBe(200);
    const refused = await call(s, 'POST', '/attest', { version: saved.body.discussion.version });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('unprocessable');
    const invalid = (refused.body.details as { invalid?: Array<{ id: string; text: string; why: string }> }).invalid ?? [];
    expect(invalid).toEqual([{ id: 'interpreter-used', text: shownFor.get('interpreter-used')?.text, why: expect.stringContaining("the patient's preferred language is Arabic (ar), but the handout is in English (en)") }]);
    expect(refused.body.details?.missing).toEqual([]);
    const after = await call(s, 'GET', '');
    expect(after.body.discussion).toMatchObject({ status: 'draft', version: saved.body.discussion.version });

    const reason = 'The patient chose to hold the discussion in English, which she speaks fluently.';
    const withReason = await call(s, 'PUT', '/answers', { version: saved.body.discussion.version, answers: { ...answers, 'interpreter-not-needed-reason': { value: reason } } });
    const attested = await call(s, 'POST', '/attest', { version: withReason.body.discussion.version });
    expect(attested.status).toBe(200);
    expect(attested.body.discussion.status).toBe('attested');
    expect(attested.body.discussion.answers['interpreter-not-needed-reason']).toEqual({ value: reason });
    expect(attested.body.discussion.preferredLanguage).toBe('ar');
  });

  test('an interpreter used needs their name or ID and the modality before the discussion is attested', async () => {
    const s = await open('arabic-rtl-name-patient');
    const { body: view } = await call(s, 'GET', '');
    const answers: Record<string, { value: boolean | string }> = completeAnswers(view.checklist.items.filter((i) => i.shownWhen === undefined));
    answers['interpreter-used'] = { value: 'used' };
    const saved = await call(s, 'PUT', '/answers', { version: view.discussion.version, answers });
    const refused = await call(s, 'POST', '/attest', { version: saved.body.discussion.version });
    expect(refused.status).toBe(422);
    expect((refused.body.details?.missing ?? []).map((m) => m.id).sort()).toEqual(['interpreter-id', 'interpreter-modality']);
    const complete = { ...answers, 'interpreter-id': { value: 'Interpreter 4471' }, 'interpreter-modality': { value: 'phone' } };
    const resaved = await call(s, 'PUT', '/answers', { version: saved.body.discussion.version, answers: complete });
    const attested = await call(s, 'POST', '/attest', { version: resaved.body.discussion.version });
    expect(attested.status).toBe(200);
    expect(attested.body.discussion.answers).toMatchObject({ 'interpreter-used': { value: 'used' }, 'interpreter-id': { value: 'Interpreter 4471' }, 'interpreter-modality': { value: 'phone' } });
  });
});

describe('the language-help notice on the handout, in the patient\'s preferred language', () => {
  const notices = loadInterpreterNotices().notices;
  test.each([
    ['arabic-rtl-name-patient', 'ar', 'rtl', true],
    ['chinese-speaker-patient', 'zh', 'ltr', true],
    ['spanish-speaker-patient', 'es', 'ltr', false],
  ] as const)('%s: the preview prints the %s notice with its language, direction and review status', async (patient, language, dir, interpreterNeeded) => {
    const s = await open(patient);
    const expected = notices.find((n) => n.language === language)!;
    const preview = await s.launch.agent.request(`${system.appUrl}/app/${s.launch.launchId}/handout`, { headers: { accept: 'text/html' } });
    expect(preview.status).toBe(200);
    const page = await preview.text();
    const notice = /<p class="language-help" lang="([^"]+)" dir="([^"]+)" data-notice="language-help" data-review-status="([^"]+)">([^<]+)<\/p>/.exec(page);
    expect(notice?.slice(1)).toEqual([language, dir, 'needs-translator-review', escapeHtml(expected.text)]);
    expect(page).toContain('data-review-status="needs-translator-review"');
    expect(page.includes('data-notice="interpreter-needed"')).toBe(interpreterNeeded);
    const info = await s.launch.agent.request(`${system.appUrl}/api/launches/${s.launch.launchId}/handout-info`, { headers: { accept: 'application/json' } });
    const body = (await info.json()) as { languageNotice: { language: string; text: string; dir: string; review: { status: string } } | null };
    expect(body.languageNotice).toMatchObject({ language, dir, text: expected.text, review: { status: 'needs-translator-review' } });
  });

  test('an English-preferring patient gets no language-help notice', async () => {
    const s = await open('anticoagulant-patient');
    const page = await (await s.launch.agent.request(`${system.appUrl}/app/${s.launch.launchId}/handout`, { headers: { accept: 'text/html' } })).text();
    expect(page).not.toContain('data-notice="language-help"');
  });
});
