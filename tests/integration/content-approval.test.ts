import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../../server/audit/audit-trail';
import { runContentCli } from '../../server/cli/content';
import { ContentApprovals } from '../../server/content/content-approvals';
import { useContentDir } from '../../server/content/content-packs';
import type { Db } from '../../server/store/db';
import { openDb } from '../../server/store/db';
import { contentFolderCopy, editHandout, shippedVersion, withCitationsCompleted } from '../support/content-fixture';

const HANDOUT = shippedVersion('handout/itdd-pump-handout.en.json');
const HANDOUT_ES = shippedVersion('handout/itdd-pump-handout.es.json');
const CHECKLIST = shippedVersion('checklist/itdd-consent-checklist.en.json');
/** A version as it appears in a pattern. */
const re = (version: string): string => version.replaceAll('.', '\\.');

/**
 * `npm run content -- list | approve | approve-sandbox` over the store the app uses — the embedded PGlite store on
 * disk and, when TEST_DATABASE_URL is set, PostgreSQL — with a content folder of the test's own: an approval is of
 * the file's content hash, recorded with its audit row in one transaction; a file changed after approval is a draft
 * again (audited at start); the archive and the approvals refuse to be changed or deleted.
 */
const REVIEWER = 'Ana Ruiz, MD (pain medicine)';

interface Target {
  name: string;
  env: Record<string, string>;
  open(): Promise<Db>;
  cleanup(): Promise<void>;
}

function pgliteOnDisk(): Target {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-content-store-'));
  return {
    name: 'PGlite on disk',
    env: { DATA_DIR: dataDir },
    open: () => openDb({ dataDir: path.join(dataDir, 'pglite') }),
    cleanup: () => fs.promises.rm(dataDir, { recursive: true, force: true }),
  };
}

function postgres(url: string): Target {
  const schema = `content_cli_${crypto.randomBytes(6).toString('hex')}`;
  const separator = url.includes('?') ? '&' : '?';
  return {
    name: 'PostgreSQL',
    // The command reads DATABASE_URL as the app does; the schema keeps this run apart from others.
    env: { DATABASE_URL: `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}` },
    open: () => openDb({ databaseUrl: url, schema }),
    cleanup: async () => {
      const db = await openDb({ databaseUrl: url });
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
    },
  };
}

const targets: Array<() => Target> = [pgliteOnDisk, ...(process.env.TEST_DATABASE_URL === undefined ? [] : [() => postgres(process.env.TEST_DATABASE_URL as string)])];

function streams(): { out: string[]; err: string[]; io: { out: (t: string) => void; err: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

describe.each(targets.map((make) => [make().name, make] as const))('%s', (_name, make) => {
  let target: Target;
  let contentDir: string;
  let env: Record<string, string>;

  const cli = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const s = streams();
    const code = await runContentCli(argv, env, s.io);
    return { code, out: s.out.join(''), err: s.err.join('') };
  };

  /** What the app does at boot: read the content folder afresh, archive it, check each version's approval. */
  const boot = async (db: Db): Promise<ContentApprovals> => {
    useContentDir(contentDir);
    const content = new ContentApprovals({ db, audit: new AuditTrail(db) });
    await content.start();
    return content;
  };

  const withDb = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const db = await target.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    target = make();
    contentDir = withCitationsCompleted(contentFolderCopy());
    env = { ...target.env, CONTENT_DIR: contentDir };
    // The store exists once the app has started on it.
    await withDb(boot);
  }, 120_000);

  afterAll(async () => {
    useContentDir(undefined);
    await target.cleanup();
    fs.rmSync(contentDir, { recursive: true, force: true });
  });

  test('list: every shipped version is a draft until a reviewer approves it', async () => {
    const listed = await cli(['list']);
    expect(listed.code).toBe(0);
    const lines = listed.out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes(`itdd-pump-handout.en ${HANDOUT}`))).toMatch(/^handout .* loaded .* draft$/);
    expect(lines.find((l) => l.includes(`itdd-pump-handout.es ${HANDOUT_ES}`))).toMatch(/draft$/);
    expect(lines.find((l) => l.includes('itdd-consent-checklist.en'))).toMatch(/^checklist .* draft$/);
    expect(lines.find((l) => l.includes('itdd-tailoring-rules'))).toMatch(/^tailoring .* draft$/);
  });

  test('approve: recorded with the reviewer and the content hash, and audited in the same transaction', async () => {
    const approved = await cli(['approve', '--pack', 'itdd-pump-handout', '--language', 'en', '--version', HANDOUT, '--reviewer', REVIEWER]);
    expect(approved).toMatchObject({ code: 0, err: '' });
    expect(approved.out).toMatch(new RegExp(`^approved itdd-pump-handout\\.en ${re(HANDOUT)} \\(handout, sha256 [0-9a-f]{64}\\) by Ana Ruiz, MD \\(pain medicine\\)\\n$`));
    const listed = await cli(['list']);
    const today = new Date().toISOString().slice(0, 10);
    expect(listed.out).toContain(`approved by ${REVIEWER} on ${today} (recorded by cli)`);

    await withDb(async (db) => {
      const [row] = await db.query<{ reviewer: string; approved_by: string; content_hash: string }>(`SELECT reviewer, approved_by, content_hash FROM content_approvals WHERE pack_id = 'itdd-pump-handout' AND language = 'en'`);
      expect(row).toMatchObject({ reviewer: REVIEWER, approved_by: 'cli' });
      const audit = await new AuditTrail(db).rows(0, 100);
      const event = audit.find((r) => r.record.action === 'content.approved');
      expect(event?.record).toMatchObject({ outcome: 'success', actor: 'cli', entities: [{ type: 'ContentPack', id: `itdd-pump-handout.en|${HANDOUT}` }, { type: 'ContentApproval' }], detail: { kind: 'handout', contentHash: row?.content_hash } });
      // Codes only: the reviewer's name stays in the approvals table the audit row points to.
      expect(JSON.stringify(event?.record)).not.toContain('Ruiz');
      expect((await new AuditTrail(db).verify()).ok).toBe(true);
    });
  }, 60_000);

  test('clear one-line errors: an approval already recorded, a bad reviewer, an unknown version, a missing language', async () => {
    const again = await cli(['approve', '--pack', 'itdd-pump-handout', '--language', 'en', '--version', HANDOUT, '--reviewer', REVIEWER]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(new RegExp(`^content: itdd-pump-handout\\.en\\|${re(HANDOUT)} is already approved \\(by Ana Ruiz`));
    const noCredentials = await cli(['approve', '--pack', 'itdd-consent-checklist', '--version', CHECKLIST, '--reviewer', 'Ana Ruiz']);
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.err).toMatch(/"name, credentials"/);
    const unknown = await cli(['approve', '--pack', 'itdd-consent-checklist', '--version', '9.9.9', '--reviewer', REVIEWER]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(new RegExp(`no itdd-consent-checklist version 9\\.9\\.9[\\s\\S]*It holds: ${re(CHECKLIST)} \\(en\\)`));
    const ambiguous = await cli(['approve', '--pack', 'itdd-pump-handout', '--version', HANDOUT, '--reviewer', REVIEWER]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toMatch(/several languages \(en, es\): name one with --language/);
    const usage = await cli(['approve', '--pack']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/^content: usage: content list/);
    for (const answer of [again, noCredentials, unknown, ambiguous, usage]) {
      expect(answer.err).not.toMatch(/\n\s+at /);
    }
  }, 60_000);

  test('a missing store and an unreachable one: one clear line each', async () => {
    const missing = streams();
    expect(await runContentCli(['list'], { DATA_DIR: path.join(contentDir, 'nowhere') }, missing.io)).toBe(2);
    expect(missing.err.join('')).toMatch(/There is no store at .*Set DATABASE_URL/s);
    const unreachable = streams();
    expect(await runContentCli(['list'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, unreachable.io)).toBe(1);
    expect(unreachable.err.join('')).toMatch(/^content: The store at DATABASE_URL could not be opened \(ECONNREFUSED\)\.\nCheck that PostgreSQL is running/);
    expect(unreachable.err.join('')).not.toMatch(/nobody|\n\s+at /);
  }, 60_000);

  test('a file changed after approval is a draft again: found at start, audited, listed as CHANGED', async () => {
    editHandout(contentDir, 'en', (pack) => {
      pack.title = `${pack.title as string} (revised)`;
    });
    const statuses = await withDb(async (db) => {
      const started = await (await boot(db)).list();
      const audit = await new AuditTrail(db).rows(0, 100);
      const revoked = audit.filter((r) => r.record.action === 'content.approval-revoked');
      expect(revoked).toHaveLength(1);
      expect(revoked[0]?.record).toMatchObject({ reason: 'content_changed_since_approval', entities: [{ type: 'ContentPack', id: `itdd-pump-handout.en|${HANDOUT}` }, { type: 'ContentApproval' }] });
      return started;
    });
    const en = statuses.filter((s) => s.packId === 'itdd-pump-handout' && s.language === 'en');
    // The approved content stays in the archive (a discussion held on it still reprints it), approved.
    expect(en.map((s) => [s.loaded, s.state])).toEqual([[true, 'changed'], [false, 'approved']]);
    const listed = await cli(['list']);
    expect(listed.out).toMatch(new RegExp(`itdd-pump-handout\\.en ${re(HANDOUT)} +loaded .* CHANGED since approved by Ana Ruiz, MD \\(pain medicine\\) on \\d{4}-\\d{2}-\\d{2}: a draft until approved again`));
    expect(listed.out).toMatch(new RegExp(`itdd-pump-handout\\.en ${re(HANDOUT)} +archived .* approved by Ana Ruiz`));
  }, 60_000);

  test('approve-sandbox approves every loaded version not yet approved, in one command', async () => {
    const all = await cli(['approve-sandbox', '--reviewer', REVIEWER]);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/4 content versions approved by Ana Ruiz/);
    expect((await cli(['list'])).out.split('\n').filter((l) => l.includes(' loaded ')).every((l) => l.includes('approved by'))).toBe(true);
    expect((await cli(['approve-sandbox', '--reviewer', REVIEWER])).out).toMatch(/every loaded content version is approved already/);
    const production = streams();
    expect(await runContentCli(['approve-sandbox', '--reviewer', REVIEWER], { ...env, ITDD_ENV: 'production' }, production.io)).toBe(2);
    expect(production.err.join('')).toMatch(/approve-sandbox is for the sandbox/);
  }, 60_000);

  test('a version citing a source with no DOI, PMID or official address is refused; approve-sandbox approves it with a note', async () => {
    const file = path.join(contentDir, 'checklist', 'itdd-consent-checklist.en.json');
    const checklist = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string; citations: Array<{ id: string; text: string; kind?: string }> };
    const cited = checklist.citations.find((c) => c.kind !== 'seed' && c.text.endsWith(' PMID: 10000001.'));
    expect(cited).toBeDefined();
    if (cited !== undefined) {
      cited.text = cited.text.replace(' PMID: 10000001.', '');
    }
    checklist.version = '9.1.0';
    fs.writeFileSync(file, `${JSON.stringify(checklist, null, 2)}\n`);
    const refused = await cli(['approve', '--pack', 'itdd-consent-checklist', '--version', '9.1.0', '--reviewer', REVIEWER]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(new RegExp(`cannot be approved[\\s\\S]*Complete or remove`));
    expect(refused.err).toContain(cited?.id ?? '?');
    const sandbox = await cli(['approve-sandbox', '--reviewer', REVIEWER]);
    expect(sandbox.code).toBe(0);
    expect(sandbox.out).toMatch(new RegExp(`note: 1 citations have no DOI, PMID or official address \\(${cited?.id ?? '?'}\\)`));
  }, 60_000);

  test('the archive and the approvals are insert-only: UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    await withDb(async (db) => {
      const before = await db.query('SELECT content_hash, content FROM content_archive ORDER BY content_hash');
      await expect(db.query(`UPDATE content_archive SET content = '{}'`)).rejects.toThrow(/content_archive is insert-only: UPDATE refused/);
      await expect(db.query('DELETE FROM content_archive')).rejects.toThrow(/insert-only: DELETE refused/);
      await expect(db.query('TRUNCATE content_archive CASCADE')).rejects.toThrow(/insert-only: TRUNCATE refused/);
      await expect(db.query(`UPDATE content_approvals SET reviewer = 'Someone Else, MD'`)).rejects.toThrow(/content_approvals is insert-only: UPDATE refused/);
      await expect(db.query('DELETE FROM content_approvals')).rejects.toThrow(/insert-only: DELETE refused/);
      expect(await db.query('SELECT content_hash, content FROM content_archive ORDER BY content_hash')).toEqual(before);
    });
  }, 60_000);

  test('if the audit row cannot be written, the approval does not happen', async () => {
    editHandout(contentDir, 'es', (pack) => {
      pack.version = '2.0.1';
    });
    await withDb(async (db) => {
      const content = await boot(db);
      const count = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM content_approvals'))[0]?.n);
      const before = await count();
      // The audit trail's head row is gone (a broken or locked-down audit table): no row can be appended.
      await db.query('ALTER TABLE audit_head RENAME TO audit_head_unavailable');
      try {
        await expect(content.approve({ packId: 'itdd-pump-handout', language: 'es', version: '2.0.1', reviewer: REVIEWER, approvedBy: 'Practitioner/compliance-1' })).rejects.toMatchObject({ details: { reason: 'audit_unavailable' } });
      } finally {
        await db.query('ALTER TABLE audit_head_unavailable RENAME TO audit_head');
      }
      expect(await count()).toBe(before);
      expect((await content.list()).find((s) => s.language === 'es' && s.loaded)).toMatchObject({ version: '2.0.1', state: 'draft' });
      // The screen's approval (a fhirUser as approver) then goes through, audited with that user as the actor.
      const approved = await content.approve({ packId: 'itdd-pump-handout', language: 'es', version: '2.0.1', reviewer: REVIEWER, approvedBy: 'Practitioner/compliance-1' });
      expect(approved).toMatchObject({ state: 'approved', approval: { approvedBy: 'Practitioner/compliance-1', reviewer: REVIEWER } });
      const last = (await new AuditTrail(db).rows(0, 1000)).at(-1);
      expect(last?.record).toMatchObject({ action: 'content.approved', actor: 'Practitioner/compliance-1' });
    });
  }, 60_000);
  test('two approvals of the same content at once: one is recorded, the other refused as already approved', async () => {
    editHandout(contentDir, 'es', (pack) => {
      pack.version = '2.0.2';
    });
    await withDb(async (db) => {
      const content = await boot(db);
      const request = { packId: 'itdd-pump-handout', language: 'es', version: '2.0.2', reviewer: REVIEWER };
      const results = await Promise.allSettled([content.approve({ ...request, approvedBy: 'cli' }), content.approve({ ...request, approvedBy: 'Practitioner/compliance-1' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.reason).toMatchObject({ code: 'conflict', details: { reason: 'already_approved' } });
      const rows = await db.query(`SELECT 1 FROM content_approvals WHERE pack_id = 'itdd-pump-handout' AND language = 'es' AND version = '2.0.2'`);
      expect(rows).toHaveLength(1);
      const audited = (await new AuditTrail(db).rows(0, 1000)).filter((r) => r.record.action === 'content.approved' && r.record.entities?.[0]?.id === 'itdd-pump-handout.es|2.0.2');
      expect(audited).toHaveLength(1);
    });
  }, 60_000);
});
