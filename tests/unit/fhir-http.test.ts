/**
 * The app's only FHIR client against a real local HTTP server: failures, deadlines and redirects (security research
 * §6 I1, I2). Refusals, 401 refresh, paging, OperationOutcomes, wrong bodies and size caps (§6 F1, F2, F7–F10) are in
 * tests/adversarial/f-chart-data.test.ts.
 */
import type { Patient } from 'fhir/r4';
import { createFhirHttp, type FhirHttp, type FhirHttpOptions } from '../../server/chart/fhir-http';
import { sendJson, startRecordingServer, type RecordingServer } from '../support/recording-server';

let ehr: RecordingServer;
let elsewhere: RecordingServer;

beforeEach(async () => {
  ehr = await startRecordingServer();
  elsewhere = await startRecordingServer();
});

afterEach(async () => {
  await ehr.close();
  await elsewhere.close();
});

function client(options: Partial<FhirHttpOptions> = {}): FhirHttp {
  return createFhirHttp({ baseUrl: `${ehr.origin}/fhir/`, getAccessToken: () => Promise.resolve('token-1'), ...options });
}

const PATIENT: Patient = { resourceType: 'Patient', id: '1', name: [{ text: 'Test Patient' }] };

describe('read', () => {
  test('reads a resource with the token and FHIR JSON accept header', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, PATIENT));
    await expect(client().read<Patient>('Patient/1')).resolves.toEqual({ kind: 'ok', value: PATIENT });
    expect(ehr.requests).toEqual([{ method: 'GET', url: '/fhir/Patient/1', authorization: 'Bearer token-1', accept: 'application/fhir+json' }]);
  });

  test('500 is a failure with a short reason', async () => {
    ehr.handle((_request, response) => response.writeHead(500).end('stack trace with PHI'));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 500, reason: 'the EHR answered 500' });
  });

  test('an EHR that never answers times out', async () => {
    ehr.handle(() => undefined);
    await expect(client({ timeoutMs: 150 }).read('Patient/1')).resolves.toEqual({ kind: 'failed', reason: 'the EHR did not answer in time' });
  });

  test('a body that trickles past the deadline times out', async () => {
    ehr.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json' });
      response.write('{"resourceType":');
    });
    await expect(client({ timeoutMs: 150 }).read('Patient/1')).resolves.toEqual({ kind: 'failed', reason: 'the EHR did not answer in time' });
  });

  test('an EHR that cannot be reached fails fast', async () => {
    const fhir = client();
    await ehr.close();
    await expect(fhir.read('Patient/1')).resolves.toEqual({ kind: 'failed', reason: 'the EHR could not be reached' });
  });

  test('a redirect is not followed and the token does not travel', async () => {
    ehr.handle((_request, response) => response.writeHead(302, { location: `${elsewhere.origin}/fhir/Patient/1` }).end());
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 302, reason: 'the EHR answered with a redirect, which was not followed' });
    expect(elsewhere.requests).toEqual([]);
  });

  test('an absolute reference under the base is read', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, PATIENT));
    await expect(client().read(`${ehr.origin}/fhir/Patient/1`)).resolves.toMatchObject({ kind: 'ok' });
  });
});

