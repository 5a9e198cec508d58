import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BundleEntry, Condition, Patient } from 'fhir/r4';
import { parseRenderArgs, runRender } from '../../server/cli/render';
import { buildPatientContext } from '../../server/chart/patient-context';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';

/**
 * Review findings on chart input (X9, X10): the same patient id on another FHIR server is another person; a bundle
 * entry without a resource is a clear refusal of the render command, not a crash.
 */
const BASE = 'https://ehr.example/fhir/R4';
const patient: Patient = { resourceType: 'Patient', id: 'p1', birthDate: '1970-06-15' };

test('X9: an absolute Patient reference on another server is not the launch patient; one on the launch base is', () => {
  const condition = (id: string, reference: string): BundleEntry<Condition> => ({
    resource: { resourceType: 'Condition', id, subject: { reference }, code: { text: `condition ${id}` }, clinicalStatus: { coding: [{ code: 'active' }] } },
  });
  const entry = [
    condition('here', `${BASE}/Patient/p1`),
    condition('relative', 'Patient/p1'),
    condition('elsewhere', 'https://other.example/fhir/R4/Patient/p1'),
    condition('look-alike-base', `${BASE}-evil/Patient/p1`),
    condition('below-base', `${BASE}/x/Patient/p1`),
  ];
  const reads = chartReadsFromBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient }] }, { patientId: 'p1', fhirBase: BASE }, {
    overrides: { conditions: { kind: 'ok', value: { resourceType: 'Bundle', type: 'searchset', entry } } },
  });
  const context = buildPatientContext(reads, new Date('2026-11-25T12:00:00Z'));
  expect(context.conditions.map((fact) => fact.reference).sort()).toEqual(['Condition/here', 'Condition/relative']);
  expect(context.warnings).toContain('3 resources not linked to this patient were ignored');
});

test('X10: the render command refuses a bundle entry {"resource": null} with a clear bad request', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-x10-'));
  try {
    const bundle = path.join(dir, 'bundle.json');
    fs.writeFileSync(bundle, JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient }, { resource: null }] }));
    const error: unknown = await runRender(parseRenderArgs(['--bundle', bundle, '--out', path.join(dir, 'out.pdf')])).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('entry 2 holds no FHIR resource') });
    expect(fs.existsSync(path.join(dir, 'out.pdf'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
