import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../server/project-root';

/**
 * A production-shaped boot (sandbox off, one https tenant) never loads the sandbox EHR or Medplum: they are for
 * development and for validating a note, not for starting. Run against the built server (`dist/`, what `npm test`
 * builds first) in a fresh process, because Jest's own module registry would hide what Node really loads.
 */
const BOOT = path.join(projectRoot(), 'dist', 'server', 'boot.js');

/** Starts the system, prints every module Node loaded (CommonJS cache), closes it. */
const CHILD = `
const { startSystem } = require(${JSON.stringify(BOOT)});
startSystem({ warmPdf: false }).then(async (system) => {
  const modules = Object.keys(require.cache);
  await system.close();
  process.stdout.write(JSON.stringify({ modules, tenants: system.config.tenants.map((t) => t.id), noSandbox: system.sandbox === undefined }));
});
`;

test('SANDBOX=off with one https tenant: no sandbox module and no @medplum package is loaded', async () => {
  expect(fs.existsSync(BOOT)).toBe(true);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-prod-boot-'));
  try {
    const tenant = { id: 'epic-prod', name: 'Epic', iss: 'https://fhir.example.org/api/FHIR/R4', vendor: 'epic', clientId: 'itdd' };
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', CHILD], {
      env: {
        ...process.env,
        SANDBOX: 'off',
        EHR_TENANTS: JSON.stringify([tenant]),
        // Without production's secrets and store: what is loaded at boot is the question here, not the rules.
        ITDD_ENV: 'sandbox',
        DATA_DIR: dataDir,
        PORT: '0',
        PDF_WARM: 'off',
        LOG_LEVEL: 'silent',
      },
      // A first start initialises the embedded database, which takes tens of seconds on a loaded machine.
      timeout: 90_000,
    });
    const result = JSON.parse(stdout) as { modules: string[]; tenants: string[]; noSandbox: boolean };
    expect(result.tenants).toEqual(['epic-prod']);
    expect(result.noSandbox).toBe(true);
    expect(result.modules.length).toBeGreaterThan(50); // the app itself was loaded and listed
    expect(result.modules.some((m) => m.includes(`${path.sep}dist${path.sep}server${path.sep}app.js`))).toBe(true);
    expect(result.modules.filter((m) => m.includes(`${path.sep}server${path.sep}sandbox${path.sep}`))).toEqual([]);
    expect(result.modules.filter((m) => m.includes(`${path.sep}@medplum${path.sep}`))).toEqual([]);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
