import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';
import type { AttestedSession } from '../support/filing-helpers';
import { attestedDiscussion, call, completedChecklist, fileNote, openLaunch, waitForFiling } from '../support/filing-helpers';
import { complianceLaunch, parseCsv, tableCells } from '../support/compliance-helpers';

/**
 * The compliance dashboard over the real system (app + sandbox EHR, real launches, PGlite store): who gets in, what
 * a compliance analyst sees of an end-to-end run, the integrity check against the chart (a note edited in the EHR
 * shows "changed", a retracted one "entered in error"), the CSV being exactly the page, and every view, export and
 * refusal in the audit trail.
 */
let system: TestSystem;
const ANALYST = 'itdd-compliance-brooks';

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

async function auditRows(action: string): Promise<Array<{ actor: string | null; record: Record<string, any> }>> {
  const rows = await system.db.query<{ actor: string | null; record: unknown }>('SELECT actor, record FROM audit_events WHERE action = $1 ORDER BY seq', [action]);
  return rows.map((r) => ({ actor: r.actor, record: (typeof r.record === 'string' ? JSON.parse(r.record) : r.record) as Record<string, any> }));
}

const practitioner = (id: string): string => `${system.sandboxUrl ?? ''}/r4/Practitioner/${id}`;

describe('who may open the dashboard', () => {
  test.each(['itdd-rn-patel', 'itdd-dr-rivera'])('%s is refused with a 403 page, recorded, and keeps no session', async (user) => {
    const before = (await auditRows('compliance.refused')).length;
    const launch = await complianceLaunch(system, user);
    expect(launch.response.status).toBe(403);
    const page = await launch.response.text();
    expect(page).toContain('The compliance dashboard is only for the compliance team.');
    const refused = await auditRows('compliance.refused');
    expect(refused.slice(before)).toEqual([
      { actor: practitioner(user), record: expect.objectContaining({ action: 'compliance.refused', outcome: 'refused', reason: 'not_compliance_user', tenantId: 'sandbox-generic' }) },
    ]);
    expect(await system.db.query(`SELECT 1 FROM launch_sessions WHERE purpose = 'compliance' AND fhir_user = $1`, [practitioner(user)])).toEqual([]);
  });

  test('a chart launch cannot open the dashboard, and a dashboard session cannot open a chart', async () => {
    const chart = await openLaunch(system, 'diabetes-hba1c-patient', 'generic', 'itdd-dr-rivera');
    const answer = await chart.launch.agent.request(`${system.appUrl}/compliance/${chart.launch.launchId}`, { headers: { accept: 'text/html' } });
    expect(answer.status).toBe(403);
    expect((await auditRows('compliance.refused')).at(-1)?.record).toMatchObject({ reason: 'clinical_launch', actor: practitioner('itdd-dr-rivera') });
    const dashboard = await complianceLaunch(system, ANALYST);
    expect(dashboard.response.status).toBe(200);
    const app = await dashboard.agent.request(`${system.appUrl}/app/${dashboard.launchId}`, { headers: { accept: 'text/html' } });
    expect(app.status).toBe(401);
    const api = await dashboard.agent.request(`${system.appUrl}/api/launches/${dashboard.launchId}/context`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
  });

  test('the analyst lands on the dashboard after the callback, with the audit chain verified', async () => {
    const launch = await complianceLaunch(system, ANALYST);
    expect(new URL(launch.url).pathname).toBe(`/compliance/${launch.launchId}`);
    const page = await launch.response.text();
    expect(page).toContain('Compliance dashboard');
    expect(page).toMatch(/data-field="chain" data-state="intact"/);
    expect(page).toContain('Content approval');
    expect(page).toContain('Documentation gaps');
    expect((await auditRows('launch.accepted')).at(-1)).toMatchObject({ actor: practitioner(ANALYST), record: { detail: { purpose: 'compliance' } } });
  });
});

describe('an end-to-end run as the compliance analyst sees it', () => {
  let kept: AttestedSession;
  let edited: AttestedSession;
  let retracted: AttestedSession;
  let draftId: string;
  const documents: Record<string, string> = {};

  async function fileAndWait(s: AttestedSession): Promise<string> {
    await fileNote(system, s);
    const state = await waitForFiling(system, s, s.discussionId);
    expect(state.filed).toBe(true);
    return state.documentId as string;
  }

  beforeAll(async () => {
    kept = await attestedDiscussion(system, 'anticoagulant-patient', 'generic');
    documents.kept = await fileAndWait(kept);
    edited = await attestedDiscussion(system, 'cancer-pain-high-dose-opioids-patient', 'generic');
    documents.edited = await fileAndWait(edited);
    retracted = await attestedDiscussion(system, 'arabic-rtl-name-patient', 'generic');
    documents.retracted = await fileAndWait(retracted);
    const draft = await openLaunch(system, 'diabetes-hba1c-patient', 'generic', 'itdd-dr-rivera');
    draftId = (await completedChecklist(system, draft)).body.discussion.id as string;
  });

  async function dashboardJson(agent: ComplianceAgent, query = ''): Promise<Record<string, any>> {
    const response = await agent.agent.request(`${system.appUrl}/api/compliance/${agent.launchId}/discussions${query}`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, any>;
  }

  type ComplianceAgent = Awaited<ReturnType<typeof complianceLaunch>>;
  const integrityOf = (json: Record<string, any>): Record<string, string> =>
    Object.fromEntries((json.rows as Array<Record<string, any>>).map((r) => [r.discussionId as string, (r.integrity?.state ?? 'unchecked') as string]));

  test('every discussion is listed with its status, checklist, teach-back, interpreter, attester and document', async () => {
    const analyst = await complianceLaunch(system, ANALYST);
    const json = await dashboardJson(analyst);
    const rows = new Map((json.rows as Array<Record<string, any>>).map((r) => [r.discussionId as string, r]));
    for (const [session, documentId] of [[kept, documents.kept], [edited, documents.edited], [retracted, documents.retracted]] as const) {
      const row = rows.get(session.discussionId);
      expect(row).toMatchObject({ status: 'filed', patientId: session.patient, documentId, attestedBy: practitioner('itdd-dr-rivera'), teachBack: expect.any(String), interpreter: expect.any(String) });
      expect(row?.checklist.answered).toBe(row?.checklist.required);
    }
    expect(rows.get(draftId)).toMatchObject({ status: 'draft', documentId: null, attestedBy: null });
    expect(json.chain.state).toBe('intact');
  });

  test('integrity: every filed note matches; after an edit in the EHR and a retraction, "changed" and "entered in error"', async () => {
    const analyst = await complianceLaunch(system, ANALYST);
    const before = integrityOf(await dashboardJson(analyst, '?integrity=on'));
    expect(before).toMatchObject({ [kept.discussionId]: 'match', [edited.discussionId]: 'match', [retracted.discussionId]: 'match', [draftId]: 'not-filed' });

    const alter = await fetch(`${system.sandboxUrl ?? ''}/simulator/documents/${documents.edited}/alter`, { method: 'POST' });
    expect(alter.status).toBe(200);
    const retract = await call(system, retracted, 'POST', `${retracted.api}/filing/entered-in-error`, { discussionId: retracted.discussionId, reason: 'Filed against the wrong encounter.' });
    expect(retract.status).toBe(200);

    const after = await dashboardJson(analyst, '?integrity=on');
    expect(integrityOf(after)).toMatchObject({ [kept.discussionId]: 'match', [edited.discussionId]: 'changed', [retracted.discussionId]: 'entered-in-error', [draftId]: 'not-filed' });
    const retractedRow = (after.rows as Array<Record<string, any>>).find((r) => r.discussionId === retracted.discussionId);
    expect(retractedRow?.status).toBe('entered-in-error');
    const viewed = (await auditRows('compliance.viewed')).at(-1);
    expect(viewed).toMatchObject({ actor: practitioner(ANALYST), record: { detail: { integrity: true, 'integrity.changed': 1, 'integrity.entered-in-error': 1 } } });
  });

  test('the page shows the same states, and the CSV export is exactly what the page shows', async () => {
    const analyst = await complianceLaunch(system, ANALYST);
    const pageResponse = await analyst.agent.request(`${system.appUrl}/compliance/${analyst.launchId}?integrity=on`, { headers: { accept: 'text/html' } });
    const html = await pageResponse.text();
    expect(html).toContain(`data-discussion="${edited.discussionId}" data-integrity="changed"`);
    expect(html).toContain(`data-discussion="${kept.discussionId}" data-integrity="match"`);
    const shown = tableCells(html);
    const csvResponse = await analyst.agent.request(`${system.appUrl}/compliance/${analyst.launchId}/export.csv?integrity=on`);
    expect(csvResponse.status).toBe(200);
    expect(csvResponse.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(parseCsv(await csvResponse.text())).toEqual(shown);
    expect(shown.length).toBeGreaterThan(4);
    expect((await auditRows('compliance.exported')).at(-1)).toMatchObject({ actor: practitioner(ANALYST), record: { detail: { format: 'csv', rows: shown.length - 1 } } });
  });

  test('filters narrow the page and the export alike', async () => {
    const analyst = await complianceLaunch(system, ANALYST);
    const filtered = await dashboardJson(analyst, `?status=filed&patient=${kept.patient}`);
    expect((filtered.rows as Array<Record<string, any>>).map((r) => r.discussionId)).toEqual([kept.discussionId]);
    const csv = await analyst.agent.request(`${system.appUrl}/compliance/${analyst.launchId}/export.csv?status=filed&patient=${kept.patient}`);
    expect(parseCsv(await csv.text()).slice(1).map((cells) => cells[1])).toEqual([kept.discussionId]);
    expect((await dashboardJson(analyst, '?status=draft')).rows.map((r: Record<string, any>) => r.discussionId)).toEqual([draftId]);
    const bad = await analyst.agent.request(`${system.appUrl}/api/compliance/${analyst.launchId}/discussions?from=2026-13-01`, { headers: { accept: 'application/json' } });
    expect(bad.status).toBe(400);
  });
});

describe('the content approval and documentation-gap sections', () => {
  test('the analyst approves a draft content version on the screen (CSRF in the form), and the approval is recorded', async () => {
    const launch = await complianceLaunch(system, ANALYST);
    const page = await launch.response.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    expect(csrf).not.toBe('');
    // The tailoring rules cite by id (no citation list): a draft the screen can approve.
    const form = /<form method="post" action="([^"]+)" class="approve">\s*<input type="hidden" name="csrf" value="[^"]+">\s*<input type="hidden" name="packId" value="(itdd-tailoring-rules)">\s*<input type="hidden" name="language" value="([^"]*)">\s*<input type="hidden" name="version" value="([^"]+)">/.exec(page);
    expect(form).not.toBeNull();
    const [, action = '', packId = '', language = '', version = ''] = form ?? [];
    const post = (fields: Record<string, string>, origin = system.appUrl): Promise<Response> =>
      launch.agent.request(new URL(action, system.appUrl).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams(fields).toString(),
      });
    const fields = { packId, language, version, reviewer: 'Ana Ruiz, MD' };
    expect((await post({ ...fields, csrf: 'forged' })).status).toBe(403);
    expect((await post({ ...fields, csrf }, 'https://evil.example')).status).toBe(403);
    const approved = await post({ ...fields, csrf });
    expect(approved.status).toBe(303);
    const after = await (await launch.agent.request(`${system.appUrl}/compliance/${launch.launchId}`)).text();
    expect(after).toMatch(new RegExp(`data-pack="${packId}" data-language="${language}" data-version="${version}" data-state="approved"`));
    expect(after).toContain('approved by Ana Ruiz, MD');
    expect((await auditRows('content.approved')).at(-1)).toMatchObject({ actor: practitioner(ANALYST) });
  });

  test('the gap report on screen lists the seeded gaps, and its CSV the same rows', async () => {
    const launch = await complianceLaunch(system, ANALYST);
    const page = await (await launch.agent.request(`${system.appUrl}/compliance/${launch.launchId}/gaps?from=2026-11-01&to=2027-01-01`)).text();
    expect(page).toContain('4 gaps from 2026-11-01 to 2027-01-01');
    const patients = [...page.matchAll(/<tr data-patient="([^"]+)" data-reason="([^"]+)">/g)].map((m) => [m[1], m[2]]);
    expect(patients).toEqual([['gap-no-note', 'no_note'], ['gap-entered-in-error', 'note_entered_in_error'], ['gap-note-after', 'note_after_procedure'], ['gap-scheduled-no-note', 'no_note']]);
    const csv = parseCsv(await (await launch.agent.request(`${system.appUrl}/compliance/${launch.launchId}/gaps.csv?from=2026-11-01&to=2027-01-01`)).text());
    expect(csv.slice(1).map((row) => [row[1], row[9]])).toEqual(patients);
    const bad = await launch.agent.request(`${system.appUrl}/compliance/${launch.launchId}/gaps?from=2026-13-01&to=2027-01-01`);
    expect(bad.status).toBe(400);
  });
});
