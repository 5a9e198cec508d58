/**
 * The launch's chart read over real HTTP: one wave of exactly the reads the handout needs, the token only sent to
 * the EHR's FHIR base, and the same PatientContext the sandbox patients map to.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { isAppError } from '../../server/errors';
import { createFhirHttp, type FhirHttp } from '../../server/chart/fhir-http';
import { buildPatientContext } from '../../server/chart/patient-context';
import { readChart, type ChartReadName, type LaunchContextForReads } from '../../server/chart/read-chart';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import { sendJson, startRecordingServer, type RecordingServer } from '../support/recording-server';

const PATIENTS_DIR = path.resolve(__dirname, '../../fhir-resources/patients');
const PRACTITIONERS = path.resolve(__dirname, '../../fhir-resources/sandbox/practitioners.json');
const LAUNCH: LaunchContextForReads = {
  patientId: 'medication-references-patient',
  encounterId: 'medication-references-encounter',
  fhirUser: 'Practitioner/itdd-dr-rivera',
};
const NOW = new Date('2026-11-25T12:00:00Z');

const bundle = JSON.parse(fs.readFileSync(path.join(PATIENTS_DIR, 'medication-references.json'), 'utf8')) as Bundle;
const practitioners = (JSON.parse(fs.readFileSync(PRACTITIONERS, 'utf8')) as Bundle).entry!.map((entry) => entry.resource!);

/** Which simulated read answers which request path (`Type` for searches, `Type/id` for reads). */
const READ_BY_PATH: Record<string, ChartReadName> = {
  Condition: 'conditions',
  MedicationRequest: 'medicationRequests',
  MedicationStatement: 'medicationStatements',
  AllergyIntolerance: 'allergies',
  Observation: 'observations',
  Procedure: 'procedures',
  Device: 'devices',
  Patient: 'patient',
  Encounter: 'encounter',
};

let ehr: RecordingServer;
let elsewhere: RecordingServer;

beforeEach(async () => {
  ehr = await startRecordingServer();
  elsewhere = await startRecordingServer();
  const simulated = chartReadsFromBundle(bundle, LAUNCH, { extraResources: practitioners });
  ehr.handle((request, response) => {
    const below = new URL(request.url!, ehr.origin).pathname.replace(/^\/fhir\//, '');
    const name = READ_BY_PATH[below] ?? READ_BY_PATH[below.split('/')[0]] ?? 'practitioner';
    const outcome = simulated[name];
    if (outcome.kind === 'ok') {
      sendJson(response, 200, outcome.value);
    } else {
      response.writeHead(404).end();
    }
  });
});

afterEach(async () => {
  await ehr.close();
  await elsewhere.close();
});

function http(): FhirHttp {
  return createFhirHttp({ baseUrl: `${ehr.origin}/fhir`, getAccessToken: () => Promise.resolve('launch-token') });
}

describe('readChart', () => {
  test('reads exactly the ten resources, with the patient filter and _include, and maps like the sandbox data', async () => {
    const reads = await readChart(http(), LAUNCH);
    const requested = ehr.requests.map((request) => decodeURIComponent(request.url)).sort();
    expect(requested).toEqual([
      '/fhir/AllergyIntolerance?patient=medication-references-patient',
      '/fhir/Condition?patient=medication-references-patient',
      '/fhir/Device?patient=medication-references-patient',
      '/fhir/Encounter/medication-references-encounter',
      '/fhir/MedicationRequest?patient=medication-references-patient&_include=MedicationRequest:medication',
      '/fhir/MedicationStatement?patient=medication-references-patient&_include=MedicationStatement:medication',
      '/fhir/Observation?patient=medication-references-patient&code=http://loinc.org|4548-4,http://loinc.org|39156-5,http://loinc.org|72514-3,' +
        'http://loinc.org|38208-5,http://loinc.org|38221-8,http://loinc.org|75893-8,http://loinc.org|91147-9',
      '/fhir/Patient/medication-references-patient',
      '/fhir/Practitioner/itdd-dr-rivera',
      '/fhir/Procedure?patient=medication-references-patient',
    ]);
    expect(ehr.requests.every((request) => request.authorization === 'Bearer launch-token')).toBe(true);
    const expected = buildPatientContext(chartReadsFromBundle(bundle, LAUNCH, { extraResources: practitioners }), NOW);
    expect(buildPatientContext(reads, NOW)).toEqual(expected);
    expect(expected.medications.map((fact) => fact.resolution).sort()).toEqual(['contained', 'included']);
  });

  test('no encounter and no user in the launch: those reads are "not in context", not failures', async () => {
    const reads = await readChart(http(), { patientId: LAUNCH.patientId });
    expect(reads.encounter).toEqual({ kind: 'not-in-context' });
    expect(reads.practitioner).toEqual({ kind: 'not-in-context' });
    expect(ehr.requests).toHaveLength(8);
  });

  test('a fhirUser on another server is never fetched; a non-practitioner user is not read', async () => {
    const foreign = await readChart(http(), { ...LAUNCH, fhirUser: `${elsewhere.origin}/fhir/Practitioner/itdd-dr-rivera` });
    expect(foreign.practitioner).toEqual({ kind: 'failed', reason: 'user is on another server' });
    expect(elsewhere.requests).toEqual([]);
    const patientUser = await readChart(http(), { ...LAUNCH, fhirUser: 'Patient/medication-references-patient' });
    expect(patientUser.practitioner).toEqual({ kind: 'failed', reason: 'the signed-in user is not a practitioner' });
    const absoluteHere = await readChart(http(), { ...LAUNCH, fhirUser: `${ehr.origin}/fhir/Practitioner/itdd-dr-rivera` });
    expect(absoluteHere.practitioner).toMatchObject({ kind: 'ok', value: { id: 'itdd-dr-rivera' } });
  });

  test('an invalid launch patient id is refused before any request', async () => {
    const error: unknown = await readChart(http(), { patientId: '../Patient/other' }).catch((caught: unknown) => caught);
    expect(isAppError(error) && error.code).toBe('bad_gateway');
    expect(ehr.requests).toEqual([]);
  });
});
