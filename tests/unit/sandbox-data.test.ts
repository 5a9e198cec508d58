import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryRepository } from '@medplum/fhir-router';
import { loadFhirDefinitions } from '../../fhir-resources/fhir-definitions';
import { displayName, loadSandboxData } from '../../server/sandbox/data/loader';
import { ExpiringStore } from '../../server/sandbox/expiring-store';
import { loadOrCreateSigningKey } from '../../server/sandbox/keys';
import { FIXTURE_DIR } from '../helpers/sandbox-harness';

beforeAll(() => loadFhirDefinitions());

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-data-'));

/** A copy of the fixtures with one file replaced, to feed the loader bad data. */
function fixturesWith(file: string, content: unknown): string {
  const dir = tmp();
  fs.cpSync(FIXTURE_DIR, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), JSON.stringify(content));
  return dir;
}

describe('loadSandboxData', () => {
  it('loads practitioners and patients under their own ids, with encounters and display names', async () => {
    const repo = new MemoryRepository();
    const data = await loadSandboxData(repo, FIXTURE_DIR);
    expect(data.practitioners.map((p) => p.id)).toEqual(['itdd-dr-rivera', 'itdd-rn-okafor', 'itdd-compliance-chen']);
    expect(data.patients).toEqual([
      { patientId: 'pat-a', encounterIds: ['enc-a1', 'enc-a2'], name: 'Alice Example', scenario: 'Chronic back pain, pump candidate' },
      { patientId: 'pat-b', encounterIds: ['enc-b1'], name: "<script>alert(1)</script> O'Brien", scenario: 'Hostile name <b>markup</b>' },
      { patientId: 'pat-c', encounterIds: ['enc-c1'], name: '(no name)', scenario: 'No name recorded' },
    ]);
    expect(await repo.readResource('Medication', 'med-morphine')).toMatchObject({ id: 'med-morphine' });
    expect(data.resourceTypes.has('Location')).toBe(true);
  });

  it('refuses an index entry pointing outside the patients folder', async () => {
    const dir = fixturesWith('patients/index.json', [{ file: '../practitioners.json', patientId: 'x', encounterId: 'y', scenario: '' }]);
    await expect(loadSandboxData(new MemoryRepository(), dir)).rejects.toThrow();
  });

  it('refuses an invalid resource, naming the file and resource', async () => {
    const bundle = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'patients', 'pat-c.json'), 'utf8')) as {
      entry: { resource: Record<string, unknown> }[];
    };
    (bundle.entry[0]).resource.birthDate = 'not-a-date';
    const dir = fixturesWith('patients/pat-c.json', bundle);
    await expect(loadSandboxData(new MemoryRepository(), dir)).rejects.toThrow(/pat-c\.json: Patient\/pat-c .*Invalid date/);
  });

  it('refuses an index whose encounter is not in the patient bundle', async () => {
    const index = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'patients', 'index.json'), 'utf8')) as { encounterId: string }[];
    (index[0]).encounterId = 'enc-b1';
    const dir = fixturesWith('patients/index.json', index);
    await expect(loadSandboxData(new MemoryRepository(), dir)).rejects.toThrow(/no Encounter\/enc-b1/);
  });
});

describe('displayName', () => {
  it('prefers text, then prefix given family, and reports nothing for blank names', () => {
    expect(displayName([{ text: ' Sam  Chen ' }])).toBe('Sam Chen');
    expect(displayName([{ prefix: ['Dr.'], given: ['Elena'], family: 'Rivera' }])).toBe('Dr. Elena Rivera');
    expect(displayName([{ use: 'nickname', text: 'Al' }, { use: 'official', given: ['Alice'] }])).toBe('Alice');
    expect(displayName([{ given: [' '] }])).toBeUndefined();
    expect(displayName(undefined)).toBeUndefined();
  });
});

describe('loadOrCreateSigningKey', () => {
  it('creates an owner-only key file on first start and reuses it after', () => {
    const dir = tmp();
    const first = loadOrCreateSigningKey(dir);
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSigningKey(dir);
    expect(second.kid).toBe(first.kid);
    expect(first.publicJwk).not.toHaveProperty('d');
    expect(first.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: first.kid });
  });
});

describe('ExpiringStore', () => {
  it('forgets entries after their time-to-live and hands single-use values out once', () => {
    let now = 0;
    const store = new ExpiringStore<string>(() => now);
    store.set('a', 'x', 1000);
    expect(store.get('a')).toBe('x');
    now = 1000;
    expect(store.get('a')).toBeUndefined();
    store.set('b', 'y', 1000);
    expect(store.take('b')).toBe('y');
    expect(store.take('b')).toBeUndefined();
  });

  it('stays within its size bound', () => {
    const store = new ExpiringStore<number>(() => 0, 3);
    [1, 2, 3, 4].forEach((n) => store.set(String(n), n, 1000));
    expect(store.get('1')).toBeUndefined();
    expect(store.get('4')).toBe(4);
  });
});
