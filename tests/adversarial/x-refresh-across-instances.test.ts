import crypto from 'node:crypto';
import { createLogger } from '../../server/log';
import { createAccessTokenProvider } from '../../server/launch/access-token';
import { appSigningKeyFromJwk, generateAppJwk } from '../../server/launch/app-keys';
import type { Db } from '../../server/store/db';
import type { LaunchSession } from '../../server/store/launch-sessions';
import { LaunchSessionStore } from '../../server/store/launch-sessions';
import { createSealedBox } from '../../server/store/sealed-box';
import { dbTargets } from '../support/db-targets';
import type { RecordingServer } from '../support/recording-server';
import { sendJson, startRecordingServer } from '../support/recording-server';

/**
 * Review finding X18: the refresh single-flight and the 60-second throttle lived in one process's memory and the
 * token update was a blind UPDATE, so two instances could refresh one launch at once (Oracle refuses refreshes less
 * than 60 s apart) and a rotated refresh token could be lost. Two stores on one database stand for two instances.
 */
const key = appSigningKeyFromJwk(generateAppJwk());
const box = createSealedBox({ current: { id: 'k1', key: crypto.randomBytes(32) } });
let ehr: RecordingServer;
let refreshes: URLSearchParams[] = [];

beforeAll(async () => {
  ehr = await startRecordingServer();
  ehr.handle((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body = new URLSearchParams(raw);
      refreshes.push(body);
      const n = refreshes.length;
      // A slow EHR: the second instance asks while the first refresh is still out.
      setTimeout(() => sendJson(res, 200, { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'Bearer', expires_in: 600, scope: 'openid' }, 'application/json'), 300);
    });
  });
});

afterAll(async () => {
  await ehr.close();
});

describe.each(dbTargets('refresh_instances'))('X18: one refresh across instances (%s)', (_name, make) => {
  const target = make();
  let dbA: Db;
  let dbB: Db;
  let a: LaunchSessionStore;
  let b: LaunchSessionStore;

  beforeAll(async () => {
    dbA = await target.open();
    dbB = target.reopenable ? await target.open() : dbA;
    a = new LaunchSessionStore(dbA, box, { idleMs: 600_000, maxMs: 3_600_000 });
    b = new LaunchSessionStore(dbB, box, { idleMs: 600_000, maxMs: 3_600_000 });
  });

  afterAll(async () => {
    if (dbB !== dbA) {
      await dbB.close();
    }
    await target.cleanup(dbA);
    await dbA.close();
  });

  const deps = (store: LaunchSessionStore): Parameters<typeof createAccessTokenProvider>[0] => ({
    store, signingKey: key, clientId: 'itdd-consent', jwksUrl: 'http://app.example/.well-known/jwks.json', logger: createLogger('silent'),
  });

  async function expiring(): Promise<LaunchSession> {
    return a.create({
      launchId: crypto.randomBytes(24).toString('base64url'),
      browserSessionId: crypto.randomBytes(32).toString('base64url'),
      tenantId: 'sandbox',
      fhirBaseUrl: `${ehr.origin}/fhir`,
      patientId: 'p1',
      context: { tokenUri: `${ehr.origin}/token` },
      tokens: { accessToken: 'old-access', refreshToken: 'old-refresh', tokenType: 'Bearer', scope: 'openid', expiresAt: new Date(Date.now() - 1000) },
      csrfToken: crypto.randomBytes(32).toString('base64url'),
    });
  }

  test('two instances at expiry: exactly one refresh, both use its token, the rotated refresh token is stored', async () => {
    refreshes = [];
    const session = await expiring();
    const copyOnB = (await b.get(session.launchId, session.browserSessionId)) as LaunchSession;
    const [onA, onB] = await Promise.all([
      createAccessTokenProvider(deps(a), session).getAccessToken(),
      createAccessTokenProvider(deps(b), copyOnB).getAccessToken(),
    ]);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]?.get('refresh_token')).toBe('old-refresh');
    expect(onA).toBe('access-1');
    expect(onB).toBe('access-1');
    const stored = await b.get(session.launchId, session.browserSessionId);
    expect(stored?.tokens).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1' });
  });

  test('a second refresh within the minute is not sent by either instance; a 401 on the other instance adopts the stored token', async () => {
    refreshes = [];
    const session = await expiring();
    const stale = (await b.get(session.launchId, session.browserSessionId)) as LaunchSession;
    expect(await createAccessTokenProvider(deps(a), session).refreshAfterUnauthorized()).toBe(true);
    expect(refreshes).toHaveLength(1);
    // Instance B still holds the old token; its 401 finds the new one in the store instead of refreshing again.
    const onB = createAccessTokenProvider(deps(b), stale);
    expect(await onB.refreshAfterUnauthorized()).toBe(true);
    expect(await onB.getAccessToken()).toBe('access-1');
    // And A, refused again at once, does not hammer the EHR inside the minute.
    expect(await createAccessTokenProvider(deps(a), session).refreshAfterUnauthorized()).toBe(false);
    expect(refreshes).toHaveLength(1);
  });
});
