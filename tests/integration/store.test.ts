import crypto from 'node:crypto';
import { Client } from 'pg';
import { openDb } from '../../server/store/db';
import type { Db } from '../../server/store/db';
import { MIGRATIONS, runMigrations } from '../../server/store/migrations';
import { createSealedBox } from '../../server/store/sealed-box';
import { LaunchSessionStore } from '../../server/store/launch-sessions';
import type { LaunchSession, LaunchTokens } from '../../server/store/launch-sessions';
import { AppError } from '../../server/errors';
import { dbTargets } from '../support/db-targets';

/**
 * One suite, every backend: PGlite in memory, PGlite on disk and — when TEST_DATABASE_URL is set (CI) — a PostgreSQL
 * server, each test run in its own schema that is dropped afterwards.
 */
const databaseUrl = process.env.TEST_DATABASE_URL;
const targets = dbTargets('store_test', { onDisk: true });


const randomId = (): string => crypto.randomBytes(16).toString('base64url');
const T0 = new Date('2030-03-01T09:00:00.000Z');
const MINUTE = 60_000;

function tokens(overrides: Partial<LaunchTokens> = {}): LaunchTokens {
  return {
    accessToken: `access-${randomId()}`,
    refreshToken: `refresh-${randomId()}`,
    idToken: `id-${randomId()}`,
    tokenType: 'Bearer',
    scope: 'launch openid fhirUser patient/Patient.r',
    expiresAt: new Date(T0.getTime() + 10 * MINUTE),
    ...overrides,
  };
}

function sessionInput(browserSessionId: string): Omit<LaunchSession, 'createdAt' | 'lastSeenAt' | 'expiresAt'> {
  return {
    launchId: randomId(),
    browserSessionId,
    tenantId: 'sandbox',
    fhirBaseUrl: 'https://ehr.example.org/fhir',
    patientId: 'pat-1',
    encounterId: 'enc-1',
    fhirUser: 'Practitioner/prac-1',
    userSub: 'user-sub-1',
    context: { need_patient_banner: true, intent: 'consent', scope: 'launch openid' },
    tokens: tokens(),
    csrfToken: randomId(),
  };
}

describe.each(targets)('store on %s', (_name, makeTarget) => {
  const target = makeTarget();
  const box = createSealedBox({ current: { id: 'test', key: crypto.randomBytes(32) } });
  let db: Db;
  let clock: Date;
  let store: LaunchSessionStore;

  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    await target.cleanup(db);
    await db.close();
  });
  beforeEach(async () => {
    await db.query('DELETE FROM pending_authorizations');
    await db.query('DELETE FROM launch_sessions');
    clock = T0;
    store = new LaunchSessionStore(db, box, { idleMs: 30 * MINUTE, maxMs: 8 * 60 * MINUTE, now: () => clock });
  });
  const advance = (ms: number): void => {
    clock = new Date(clock.getTime() + ms);
  };

  describe('migrations', () => {
    it('records every migration once and applies nothing on a second run', async () => {
      const recorded = await db.query<{ id: string; applied_at: Date }>('SELECT * FROM schema_migrations ORDER BY id');
      expect(recorded.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
      expect(recorded.every((r) => r.applied_at instanceof Date)).toBe(true);
      expect(await runMigrations(db, 'public')).toEqual([]);
      expect(await db.query('SELECT id FROM schema_migrations')).toHaveLength(MIGRATIONS.length);
    });

    (target.reopenable ? it : it.skip)('opens an existing database again without re-applying migrations, keeping its data', async () => {
      const created = await store.create(sessionInput(randomId()));
      await db.close();
      db = await target.open();
      expect(await db.query('SELECT id FROM schema_migrations')).toHaveLength(MIGRATIONS.length);
      const reopened = new LaunchSessionStore(db, box, { idleMs: 30 * MINUTE, maxMs: 8 * 60 * MINUTE, now: () => clock });
      expect((await reopened.get(created.launchId, created.browserSessionId))?.tokens).toEqual(created.tokens);
    });

    it('rolls a failing migration back entirely and does not record it', async () => {
      const broken = { id: '999_broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' };
      await expect(runMigrations(db, 'public', [...MIGRATIONS, broken])).rejects.toThrow(/no_such_function/);
      expect(await db.query(`SELECT id FROM schema_migrations WHERE id = '999_broken'`)).toEqual([]);
      expect(await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`)).toEqual([]);
    });

    it('refuses a migration list out of order', async () => {
      const list = [{ id: '002_b', sql: 'SELECT 1' }, { id: '001_a', sql: 'SELECT 1' }];
      await expect(runMigrations(db, 'public', list)).rejects.toThrow(/must sort after/);
    });
  });

  describe('transactions', () => {
    it('commits on success and rolls back on error', async () => {
      const kept = sessionInput(randomId());
      const dropped = sessionInput(randomId());
      await db.transaction((tx) => new LaunchSessionStore(tx, box, { idleMs: MINUTE, maxMs: MINUTE }).create(kept));
      await expect(
        db.transaction(async (tx) => {
          await new LaunchSessionStore(tx, box, { idleMs: MINUTE, maxMs: MINUTE }).create(dropped);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const ids = await db.query<{ launch_id: string }>('SELECT launch_id FROM launch_sessions');
      expect(ids.map((r) => r.launch_id)).toEqual([kept.launchId]);
    });
  });

  describe('pending authorizations', () => {
    const clientState = { codeVerifier: 'pkce-verifier-very-secret-0123456789abcdefghijk', redirectUri: '/callback' };

    it('is single use: the second take finds nothing', async () => {
      const state = randomId();
      const browser = randomId();
      await store.savePending({ state, browserSessionId: browser, tenantId: 'sandbox', clientState });
      const taken = await store.takePending(state, browser);
      expect(taken).toEqual({
        state, browserSessionId: browser, tenantId: 'sandbox', clientState,
        createdAt: T0, expiresAt: new Date(T0.getTime() + 10 * MINUTE),
      });
      expect(await store.takePending(state, browser)).toBeUndefined();
    });

    it('lets only one of two racing callbacks take the state', async () => {
      const state = randomId();
      const browser = randomId();
      await store.savePending({ state, browserSessionId: browser, tenantId: 'sandbox', clientState });
      const results = await Promise.all([1, 2, 3].map(() => store.takePending(state, browser)));
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('is bound to the browser session and another session cannot burn it', async () => {
      const state = randomId();
      const browser = randomId();
      await store.savePending({ state, browserSessionId: browser, tenantId: 'sandbox', clientState });
      expect(await store.peekPending(state, randomId())).toBeUndefined();
      expect(await store.takePending(state, randomId())).toBeUndefined();
      expect((await store.takePending(state, browser))?.clientState).toEqual(clientState);
    });

    it('refuses to let another browser session overwrite a state', async () => {
      const state = randomId();
      const browser = randomId();
      await store.savePending({ state, browserSessionId: browser, tenantId: 'sandbox', clientState });
      const hijack = store.savePending({ state, browserSessionId: randomId(), tenantId: 'sandbox', clientState: {} });
      await expect(hijack).rejects.toMatchObject({ code: 'conflict' });
      expect((await store.peekPending(state, browser))?.clientState).toEqual(clientState);
    });

    it('can be read and rewritten by its own session without extending its expiry', async () => {
      const state = randomId();
      const browser = randomId();
      await store.savePending({ state, browserSessionId: browser, tenantId: 'sandbox', clientState });
      expect((await store.peekPending(state, browser))?.clientState).toEqual(clientState);
      advance(5 * MINUTE);
      const updated = { ...clientState, tokenUri: 'https://ehr.example.org/token' };
      await store.savePending({ state, browserSessionId: browser, tenantId: 'sandbox', clientState: updated });
      const peeked = await store.peekPending(state, browser);
      expect(peeked?.clientState).toEqual(updated);
      expect(peeked?.expiresAt).toEqual(new Date(T0.getTime() + 10 * MINUTE));
    });

    it('expires', async () => {
      const state = randomId();
      const browser = randomId();
      await store.savePending({ state, browserSessionId: browser, tenantId: 'sandbox', clientState });
      advance(10 * MINUTE);
      expect(await store.peekPending(state, browser)).toBeUndefined();
      expect(await store.takePending(state, browser)).toBeUndefined();
    });

    it('never stores the client state (PKCE verifier) in clear text', async () => {
      const state = randomId();
      await store.savePending({ state, browserSessionId: randomId(), tenantId: 'sandbox', clientState });
      const raw = JSON.stringify(await db.query('SELECT * FROM pending_authorizations'));
      expect(raw).not.toContain(clientState.codeVerifier);
      expect(raw).not.toContain('/callback');
    });
  });

  describe('launch sessions', () => {
    it('returns the session to its own browser session only', async () => {
      const input = sessionInput(randomId());
      const created = await store.create(input);
      expect(created).toEqual({ ...input, createdAt: T0, lastSeenAt: T0, expiresAt: new Date(T0.getTime() + 480 * MINUTE) });
      expect(await store.get(input.launchId, input.browserSessionId)).toEqual(created);
      expect(await store.get(input.launchId, randomId())).toBeUndefined();
      expect(await store.get(randomId(), input.browserSessionId)).toBeUndefined();
    });

    it('keeps two launches in one browser apart', async () => {
      const browser = randomId();
      const a = await store.create({ ...sessionInput(browser), patientId: 'pat-a' });
      const b = await store.create({ ...sessionInput(browser), patientId: 'pat-b' });
      expect((await store.get(a.launchId, browser))?.patientId).toBe('pat-a');
      expect((await store.get(b.launchId, browser))?.tokens).toEqual(b.tokens);
    });

    it('omits optional fields that were not given', async () => {
      const input = sessionInput(randomId());
      delete input.encounterId;
      delete input.fhirUser;
      delete input.userSub;
      const bare = tokens();
      delete bare.refreshToken;
      delete bare.idToken;
      await store.create({ ...input, tokens: bare });
      const got = await store.get(input.launchId, input.browserSessionId);
      expect(got).not.toHaveProperty('encounterId');
      expect(got).not.toHaveProperty('fhirUser');
      expect(got?.tokens).toEqual(bare);
    });

    it('ends after the idle timeout, and each use slides it', async () => {
      const { launchId, browserSessionId } = await store.create(sessionInput(randomId()));
      advance(29 * MINUTE);
      expect((await store.get(launchId, browserSessionId))?.lastSeenAt).toEqual(clock);
      advance(29 * MINUTE);
      expect(await store.get(launchId, browserSessionId)).toBeDefined();
      advance(30 * MINUTE);
      expect(await store.get(launchId, browserSessionId)).toBeUndefined();
    });

    it('ends at its absolute lifetime however busy it is', async () => {
      const { launchId, browserSessionId } = await store.create(sessionInput(randomId()));
      for (let elapsed = 0; elapsed < 480; elapsed += 20) {
        expect(await store.get(launchId, browserSessionId)).toBeDefined();
        advance(20 * MINUTE);
      }
      expect(await store.get(launchId, browserSessionId)).toBeUndefined();
    });

    it('replaces the tokens after a refresh', async () => {
      const created = await store.create(sessionInput(randomId()));
      const refreshed = tokens({ expiresAt: new Date(T0.getTime() + 20 * MINUTE) });
      await store.updateTokens(created.launchId, refreshed);
      expect((await store.get(created.launchId, created.browserSessionId))?.tokens).toEqual(refreshed);
      const raw = JSON.stringify(await db.query('SELECT * FROM launch_sessions'));
      expect(raw).not.toContain(created.tokens.refreshToken);
    });

    it('refuses to update the tokens of a session that has ended', async () => {
      await expect(store.updateTokens(randomId(), tokens())).rejects.toMatchObject({ code: 'not_found' });
    });

    it('deletes a session', async () => {
      const { launchId, browserSessionId } = await store.create(sessionInput(randomId()));
      await store.delete(launchId);
      expect(await store.get(launchId, browserSessionId)).toBeUndefined();
    });

    it('never stores tokens in clear text', async () => {
      const created = await store.create(sessionInput(randomId()));
      const raw = JSON.stringify(await db.query('SELECT * FROM launch_sessions'));
      for (const secret of [created.tokens.accessToken, created.tokens.refreshToken, created.tokens.idToken]) {
        expect(raw).not.toContain(secret);
      }
      expect(raw).toContain(created.launchId);
    });

    it('refuses sealed tokens copied from another session', async () => {
      const victim = await store.create(sessionInput(randomId()));
      const attacker = await store.create(sessionInput(randomId()));
      await db.query(
        'UPDATE launch_sessions SET tokens_sealed = (SELECT tokens_sealed FROM launch_sessions WHERE launch_id = $1) WHERE launch_id = $2',
        [victim.launchId, attacker.launchId],
      );
      await expect(store.get(attacker.launchId, attacker.browserSessionId)).rejects.toBeInstanceOf(AppError);
    });
  });

  describe('purgeExpired', () => {
    it('deletes expired pending states and idle or finished sessions, and nothing live', async () => {
      await store.savePending({ state: randomId(), browserSessionId: randomId(), tenantId: 'sandbox', clientState: 1 });
      const idle = await store.create(sessionInput(randomId()));
      const busy = await store.create(sessionInput(randomId()));
      advance(25 * MINUTE);
      const freshState = randomId();
      await store.savePending({ state: freshState, browserSessionId: randomId(), tenantId: 'sandbox', clientState: 2 });
      await store.get(busy.launchId, busy.browserSessionId);
      advance(6 * MINUTE);
      expect(await store.purgeExpired()).toBe(2);
      expect(await store.purgeExpired()).toBe(0);
      expect(await db.query('SELECT 1 FROM launch_sessions WHERE launch_id = $1', [idle.launchId])).toEqual([]);
      expect(await store.get(busy.launchId, busy.browserSessionId)).toBeDefined();
      expect(await db.query('SELECT state FROM pending_authorizations')).toEqual([{ state: freshState }]);
      expect(await store.purgeExpired(new Date(T0.getTime() + 480 * MINUTE))).toBe(2);
    });
  });
});

const describeOnPostgres = databaseUrl === undefined ? describe.skip : describe;

describeOnPostgres('migrations on PostgreSQL with several instances starting together', () => {
  it('applies each migration exactly once', async () => {
    const schema = `store_test_${crypto.randomBytes(6).toString('hex')}`;
    const opened = await Promise.allSettled([1, 2, 3, 4].map(() => openDb({ databaseUrl, schema })));
    const dbs = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      expect(opened.filter((o) => o.status === 'rejected')).toEqual([]);
      const recorded = await admin.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations ORDER BY id`);
      expect(recorded.rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openDb({ databaseUrl, schema: 'x; DROP TABLE y' })).rejects.toThrow(/schema name/);
  });
});
