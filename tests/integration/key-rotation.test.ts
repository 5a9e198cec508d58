import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DocumentReference } from 'fhir/r4';
import type { PatientContext } from '../../server/chart/patient-context';
import { ChartSnapshotStore } from '../../server/chart-snapshot/snapshot-store';
import { countByKey, resealColumn, SEALED_COLUMNS, columnName, unlistedSealedColumns } from '../../server/cli/sealed-columns';
import { runKeysCli } from '../../server/cli/keys';
import { loadConfig } from '../../server/config';
import { DiscussionStore } from '../../server/consent/discussion-store';
import type { DiscussionSnapshot } from '../../server/consent/discussion';
import { AppError } from '../../server/errors';
import type { Db } from '../../server/store/db';
import { openDb } from '../../server/store/db';
import { sealedBoxFor } from '../../server/store/keyring';
import type { LaunchTokens } from '../../server/store/launch-sessions';
import { LaunchSessionStore } from '../../server/store/launch-sessions';
import type { SealedBox } from '../../server/store/sealed-box';
import { createSealedBox, deriveKeyId, keyringOf } from '../../server/store/sealed-box';
import { WriteLedger } from '../../server/writeback/ledger';
import { dbTargets } from '../support/db-targets';

/**
 * Rotating the data-at-rest key (TOKEN_ENCRYPTION_KEY): what key A sealed opens after the app restarts with B
 * current and A previous; `keys reseal` moves every sealed column to B (compare-and-set, so the app's own writes
 * meanwhile win) and `keys status` then counts everything under B, after which the app reads it all with only B.
 * A value under a key nobody configured is a clear error naming the key, never garbage; a bad key stops the start.
 */
const keyA = crypto.randomBytes(32).toString('base64');
const keyB = crypto.randomBytes(32).toString('base64');
const keyC = crypto.randomBytes(32).toString('base64');
const idOf = (key: string): string => deriveKeyId(Buffer.from(key, 'base64'));
const NOTE = 'Patient worries about the pump alarm (rotation-canary-5521)';
const ACCESS = 'access-token-rotation-canary';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-keys-'));

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** The box an app instance builds from this environment at start (config.ts, then store/keyring.ts). */
function boxAtStart(env: Record<string, string>): SealedBox {
  return sealedBoxFor(loadConfig({ DATA_DIR: dataDir, ...env }), { createLocalKey: false });
}

function tokens(access: string): LaunchTokens {
  return { accessToken: access, refreshToken: `refresh-${access}`, tokenType: 'Bearer', scope: 'openid patient/Patient.r', expiresAt: new Date('2031-01-01T00:00:00.000Z') };
}

const snapshot: DiscussionSnapshot = {
  fhirBaseUrl: 'https://ehr.example.org/fhir',
  launchId: 'launch-rotation-aaaaaaaa',
  clinicianName: 'Dr Ana Rivera',
  pack: { id: 'itdd-pump-handout', version: '1.0.0', language: 'en', title: 'Your drug pump' },
  checklist: { id: 'itdd-consent-checklist', version: '1.0.0' },
  interpreterNeeded: false,
  flagsShown: [],
  uncheckedAreas: [],
  appAnswers: {},
};
const chart = { patient: { name: 'Rotation Canary' }, reads: {} } as unknown as PatientContext;
const noteDocument: DocumentReference = {
  resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(NOTE).toString('base64') } }],
};

interface Seeded {
  launchId: string;
  state: string;
  browser: string;
  discussionId: string;
  intentId: string;
}

/** The app's stores over one box: what one app instance would be. */
function app(db: Db, box: SealedBox): { launches: LaunchSessionStore; discussions: DiscussionStore; snapshots: ChartSnapshotStore; ledger: WriteLedger } {
  return {
    launches: new LaunchSessionStore(db, box, { idleMs: 3_600_000, maxMs: 8 * 3_600_000 }),
    discussions: new DiscussionStore(db, box),
    snapshots: new ChartSnapshotStore(db, box),
    ledger: new WriteLedger(db, box),
  };
}

/** One of everything that is sealed: a sign-in in flight, a launch with tokens and chart, a discussion, a filing. */
async function seed(db: Db, box: SealedBox): Promise<Seeded> {
  const a = app(db, box);
  const n = crypto.randomBytes(8).toString('hex');
  const s: Seeded = { launchId: `launch-${n}`, state: `state-${n}-pending`, browser: `browser-${n}-session`, discussionId: '', intentId: '' };
  await a.launches.savePending({ state: s.state, browserSessionId: s.browser, tenantId: 'sandbox-generic', clientState: { codeVerifier: `verifier-${n}` } });
  await a.launches.create({
    launchId: s.launchId, browserSessionId: s.browser, tenantId: 'sandbox-generic', fhirBaseUrl: 'https://ehr.example.org/fhir',
    patientId: `pat-${n}`, context: {}, tokens: tokens(ACCESS), csrfToken: `csrf-${n}-token-value`,
  });
  await a.snapshots.save(s.launchId, chart, new Date());
  const draft = await a.discussions.openDraft({ tenantId: 'sandbox-generic', patientId: `pat-${n}`, clinician: 'Practitioner/dr-1' }, { ...snapshot, launchId: s.launchId });
  await a.discussions.addNote(draft.id, draft.version, { by: 'Practitioner/dr-1', at: new Date().toISOString(), text: NOTE });
  const { intent } = await a.ledger.record({
    discussionId: draft.id, tenantId: 'sandbox-generic', fhirBaseUrl: 'https://ehr.example.org/fhir', patientId: `pat-${n}`,
    clinician: 'Practitioner/dr-1', launchId: s.launchId, profile: 'epic', documentReference: noteDocument,
    noteSha256: crypto.createHash('sha256').update(NOTE).digest('hex'),
  });
  await a.ledger.acquireLease(intent.id, 'me', 60_000);
  await a.ledger.apply(intent.id, 'me', 'pending', 'send');
  await a.ledger.apply(intent.id, 'me', 'sent', 'reject', { lastError: { code: 'rejected', text: 'HTTP 422' }, detail: `The EHR refused: ${NOTE}` });
  return { ...s, discussionId: draft.id, intentId: intent.id };
}

/** Everything the app reads back of one seeded set, in clear. */
async function readAll(db: Db, box: SealedBox, s: Seeded): Promise<Record<string, unknown>> {
  const a = app(db, box);
  return {
    pending: (await a.launches.peekPending(s.state, s.browser))?.clientState,
    access: (await a.launches.peek(s.launchId))?.tokens.accessToken,
    chart: (await a.snapshots.get(s.launchId))?.context,
    notes: (await a.discussions.get(s.discussionId))?.clinicianNotes.map((note) => note.text),
    payload: await a.ledger.payloadOf(s.intentId),
    detail: await a.ledger.detailOf(s.intentId),
  };
}

const expectedReads = (s: Seeded): Record<string, unknown> => ({
  pending: { codeVerifier: `verifier-${s.launchId.slice('launch-'.length)}` },
  access: ACCESS, chart, notes: [NOTE], payload: noteDocument, detail: `The EHR refused: ${NOTE}`,
});

/** `keys status` as numbers: column → key id → count. */
async function status(db: Db): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of SEALED_COLUMNS) {
    out[columnName(c)] = Object.fromEntries(await countByKey(db, c));
  }
  return out;
}

const everyColumnUnder = (keyId: string, n: number): Record<string, Record<string, number>> =>
  Object.fromEntries(SEALED_COLUMNS.map((c) => [columnName(c), { [keyId]: n }]));

describe.each(dbTargets('key_rotation'))('key rotation on %s', (_name, make) => {
  const target = make();
  let db: Db;

  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    await target.cleanup(db);
    await db.close();
  });
  beforeEach(async () => {
    for (const table of ['chart_snapshots', 'write_intents', 'discussions', 'launch_sessions', 'pending_authorizations']) {
      await db.query(`DELETE FROM ${table}`);
    }
  });

  test('every sealed column of the schema is one the re-seal knows', async () => {
    expect(await unlistedSealedColumns(db)).toEqual([]);
  });

  test('what key A sealed opens after a restart with B current and A previous, and new writes are sealed under B', async () => {
    const s = await seed(db, boxAtStart({ TOKEN_ENCRYPTION_KEY: keyA }));
    expect(await status(db)).toEqual(everyColumnUnder(idOf(keyA), 1));
    const rotated = boxAtStart({ TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyA });
    expect(await readAll(db, rotated, s)).toEqual(expectedReads(s));
    // A write after the restart (new tokens after a refresh) is sealed under the new key at once.
    await app(db, rotated).launches.updateTokens(s.launchId, tokens(`${ACCESS}-2`));
    expect((await status(db))['launch_sessions.tokens_sealed']).toEqual({ [idOf(keyB)]: 1 });
  });

  test('after reseal everything is under B, and an app with only B reads it all; a second run has nothing to do', async () => {
    const s = await seed(db, boxAtStart({ TOKEN_ENCRYPTION_KEY: keyA }));
    const rotated = boxAtStart({ TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyA });
    for (const c of SEALED_COLUMNS) {
      // A batch of one: the cursor and the per-batch transactions are exercised, not only the first page.
      expect(await resealColumn(db, rotated, c, 1)).toEqual({ resealed: 1, changedMeanwhile: 0, failed: new Map() });
    }
    expect(await status(db)).toEqual(everyColumnUnder(idOf(keyB), 1));
    expect(await readAll(db, boxAtStart({ TOKEN_ENCRYPTION_KEY: keyB }), s)).toEqual(expectedReads(s));
    for (const c of SEALED_COLUMNS) {
      expect(await resealColumn(db, rotated, c)).toEqual({ resealed: 0, changedMeanwhile: 0, failed: new Map() });
    }
  });

  test('a row the app rewrites while the re-seal runs keeps the app\'s value', async () => {
    const s = await seed(db, boxAtStart({ TOKEN_ENCRYPTION_KEY: keyA }));
    const rotated = boxAtStart({ TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyA });
    const serving = app(db, rotated);
    // The app refreshes the launch's tokens just after the re-seal read the row and before it writes it back.
    let raced = false;
    const racing: Db = {
      kind: db.kind,
      exec: (sql) => db.exec(sql),
      close: () => db.close(),
      query: async <R extends object>(sql: string, params?: unknown[]): Promise<R[]> => {
        const rows = await db.query<R>(sql, params);
        if (!raced && sql.includes('FROM launch_sessions') && sql.startsWith('SELECT')) {
          raced = true;
          await serving.launches.updateTokens(s.launchId, tokens('refreshed-meanwhile'));
        }
        return rows;
      },
      transaction: (fn) => db.transaction(fn),
    };
    const column = SEALED_COLUMNS.find((c) => c.table === 'launch_sessions');
    expect(await resealColumn(racing, rotated, column!)).toEqual({ resealed: 0, changedMeanwhile: 1, failed: new Map() });
    expect((await serving.launches.peek(s.launchId))?.tokens.accessToken).toBe('refreshed-meanwhile');
  });

  test('a value under a key that is not configured is a clear error naming that key, and the re-seal leaves it alone', async () => {
    const s = await seed(db, boxAtStart({ TOKEN_ENCRYPTION_KEY: keyA }));
    const withoutA = boxAtStart({ TOKEN_ENCRYPTION_KEY: keyC, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyB });
    const error = await app(db, withoutA).discussions.get(s.discussionId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toBe(`Stored data could not be decrypted: it was sealed with key ${idOf(keyA)}, which is not configured`);
    expect((error as AppError).hint).toMatch(/TOKEN_ENCRYPTION_PREVIOUS_KEYS/);
    const before = await db.query('SELECT payload_sealed FROM discussions');
    const column = SEALED_COLUMNS.find((c) => c.table === 'discussions');
    expect(await resealColumn(db, withoutA, column!)).toEqual({ resealed: 0, changedMeanwhile: 0, failed: new Map([[idOf(keyA), 1]]) });
    expect(await db.query('SELECT payload_sealed FROM discussions')).toEqual(before);
  });
});

describe('values sealed before key rotation existed', () => {
  // Written by the build before rotation (one key, its id derived from it, the `v1` envelope), kept verbatim: a row
  // of an existing deployment. The envelope has carried the key id from the start, so there is no id-less format.
  const oldKey = Buffer.alloc(32, 0x5a);
  const oldContext = 'discussions.payload:00000000-0000-4000-8000-000000000001';
  const oldValue = 'v1.k60bf07c488aa.4KW8owsNiljXUQ1I.-_teeRY8orlQcxHgbDjNhUNBGLiEkyyooyFqTvgtX-CXIUcZlpNh0wVtzwDdMNmxrSB8JOlllFurLZiVy2eBX5HIM3VoTVVU.mFn_Ro6TiOjq0ZOhIIPRGg';
  const plain = { answers: { risks: { value: true } }, note: 'sealed before key rotation' };

  test('open with that key as the current key, and as a previous key after rotation', () => {
    expect(createSealedBox(keyringOf(oldKey)).open(oldValue, oldContext)).toEqual(plain);
    const rotated = boxAtStart({ TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: oldKey.toString('base64') });
    expect(rotated.open(oldValue, oldContext)).toEqual(plain);
    expect(rotated.seal(plain, oldContext)).toMatch(new RegExp(`^v1\\.${idOf(keyB)}\\.`));
  });
});

describe('key configuration', () => {
  const env = (current: string | undefined, previous?: string): Record<string, string> => ({
    ...(current === undefined ? {} : { TOKEN_ENCRYPTION_KEY: current }),
    ...(previous === undefined ? {} : { TOKEN_ENCRYPTION_PREVIOUS_KEYS: previous }),
  });
  const short = crypto.randomBytes(16).toString('base64');

  test.each([
    ['a current key of the wrong length', env(short), /TOKEN_ENCRYPTION_KEY is not 32 bytes of base64/],
    ['a current key that is not base64', env('not a key at all, just words in a row!!!!!='), /TOKEN_ENCRYPTION_KEY is not 32 bytes of base64/],
    ['a previous key of the wrong length', env(keyB, `${keyA},${short}`), /TOKEN_ENCRYPTION_PREVIOUS_KEYS entry 2 is not 32 bytes of base64/],
    ['a previous key that is base64url, not base64', env(keyB, Buffer.alloc(32, 0xff).toString('base64url')), /entry 1 is not 32 bytes of base64/],
    ['an empty entry', env(keyB, `${keyA},`), /TOKEN_ENCRYPTION_PREVIOUS_KEYS entry 2 is empty/],
    ['a previous key listed twice', env(keyB, `${keyA}, ${keyC},${keyA}`), /entry 3 repeats entry 1/],
    ['the current key listed as previous', env(keyB, keyB), /entry 1 is the current TOKEN_ENCRYPTION_KEY/],
  ])('%s stops the start with a message that names the variable, never the key', (_what, bad, message) => {
    let thrown: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir, ...bad });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(message);
    for (const key of [keyA, keyB, keyC, short]) {
      expect((thrown as Error).message).not.toContain(key);
    }
  });

  test('keys with surrounding spaces are accepted; no previous keys is the default', () => {
    expect(loadConfig({ DATA_DIR: dataDir, ...env(keyB, ` ${keyA} , ${keyC} `) }).tokenEncryptionPreviousKeys).toEqual([keyA, keyC]);
    expect(loadConfig({ DATA_DIR: dataDir, ...env(keyB) }).tokenEncryptionPreviousKeys).toEqual([]);
  });
});

describe('npm run keys', () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-keys-cli-'));
  const io = (): { text: () => string; err: () => string; streams: { out: (t: string) => void; err: (t: string) => void } } => {
    const out: string[] = [];
    const err: string[] = [];
    return { text: () => out.join(''), err: () => err.join(''), streams: { out: (t) => out.push(t), err: (t) => err.push(t) } };
  };

  beforeAll(async () => {
    const db = await openDb({ dataDir: path.join(store, 'pglite') });
    await seed(db, boxAtStart({ TOKEN_ENCRYPTION_KEY: keyA }));
    await db.close();
  });
  afterAll(() => fs.rmSync(store, { recursive: true, force: true }));

  test('status counts per key, reseal reports per column and never prints what is sealed', async () => {
    const rotatedEnv = { DATA_DIR: store, TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: keyA };
    const before = io();
    expect(await runKeysCli(['status'], rotatedEnv, before.streams)).toBe(0);
    expect(before.text()).toContain(`current key ${idOf(keyB)}\n`);
    expect(before.text()).toContain(`discussions.payload_sealed: 1 under ${idOf(keyA)} (previous)\n`);
    const resealed = io();
    expect(await runKeysCli(['reseal', '--batch', '50'], rotatedEnv, resealed.streams)).toBe(0);
    expect(resealed.text()).toContain('write_intents.detail_sealed: 1 re-sealed, 0 changed meanwhile (left as written)\n');
    const after = io();
    expect(await runKeysCli(['status'], { DATA_DIR: store, TOKEN_ENCRYPTION_KEY: keyB }, after.streams)).toBe(0);
    for (const c of SEALED_COLUMNS) {
      expect(after.text()).toContain(`${columnName(c)}: 1 under ${idOf(keyB)} (current)\n`);
    }
    for (const printed of [before.text(), resealed.text(), after.text()]) {
      expect(printed).not.toContain('rotation-canary');
      expect(printed).not.toContain(ACCESS);
      expect(printed).not.toContain(keyA);
    }
  });

  test('values under a key nobody configured make reseal exit 3 and name the key; bad input is one line, exit 2', async () => {
    const lost = io();
    expect(await runKeysCli(['reseal'], { DATA_DIR: store, TOKEN_ENCRYPTION_KEY: keyC }, lost.streams)).toBe(3);
    expect(lost.text()).toContain(`discussions.payload_sealed: 0 re-sealed, 0 changed meanwhile (left as written), 1 could not be opened (key ${idOf(keyB)} not configured)\n`);
    const badKey = io();
    expect(await runKeysCli(['status'], { DATA_DIR: store, TOKEN_ENCRYPTION_KEY: keyB, TOKEN_ENCRYPTION_PREVIOUS_KEYS: 'short' }, badKey.streams)).toBe(2);
    expect(badKey.err()).toBe('keys: Encryption keys: TOKEN_ENCRYPTION_PREVIOUS_KEYS entry 1 is not 32 bytes of base64 (expected 32 random bytes, base64; see docs/deploy.md)\n');
    const usage = io();
    expect(await runKeysCli(['rotate'], { DATA_DIR: store, TOKEN_ENCRYPTION_KEY: keyB }, usage.streams)).toBe(2);
    expect(usage.err()).toMatch(/^keys: usage: keys status \| keys reseal/);
    const noKey = io();
    expect(await runKeysCli(['status'], { DATA_DIR: store }, noKey.streams)).toBe(2);
    expect(noKey.err()).toMatch(/TOKEN_ENCRYPTION_KEY is not set and there is no generated key/);
  });
});
