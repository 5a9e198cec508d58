import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Patient as MedplumPatient } from '@medplum/fhirtypes';
import type { Bundle, Condition, FhirResource, Observation, Patient } from 'fhir/r4';
import type { Browser, Page } from 'puppeteer';
import { createFhirHttp, type FhirHttp, type FhirHttpOptions } from '../../server/chart/fhir-http';
import { buildPatientContext, type PatientContext } from '../../server/chart/patient-context';
import type { ChartReadOutcomes } from '../../server/chart/read-chart';
import { describeReadState } from '../../server/chart/read-labels';
import type { AuditRecord } from '../../server/audit/audit-record';
import type { ChartSnapshotDeps } from '../../server/chart-snapshot/chart-snapshots';
import { takeChartSnapshot } from '../../server/chart-snapshot/chart-snapshots';
import { renderHandoutHtml } from '../../server/handout/render-html';
import { createLogger } from '../../server/log';
import type { LaunchSession } from '../../server/store/launch-sessions';
import { launchBrowser } from '../support/browser';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import { call, completedChecklist, openLaunch, queueFault } from '../support/filing-helpers';
import { handoutInput } from '../support/handout-print';
import { contextOf, launchAs } from '../support/launch-helpers';
import { normalizeText, pdfPages, pdfText } from '../support/pdf-text';
import { sendJson, startRecordingServer, type RecordingServer } from '../support/recording-server';
import { launchInNewWindow } from '../support/simulator-page';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * The reviewer's cases F1–F12 (security research §5.2, §6 F): FHIR data from the chart is untrusted. The app's FHIR
 * client against a real local server (refusals, paging, OperationOutcomes, wrong bodies, where the token may go),
 * the chart mapping against bad and hostile resources, and the whole system — sandbox EHR, app, Chromium — showing
 * hostile names as text in the page and the PDF and never rendering an EHR narrative.
 */
const NOW = new Date('2026-11-25T12:00:00Z');
const ME = { reference: 'Patient/p1' };

function patient(extra: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', id: 'p1', name: [{ given: ['Ada'], family: 'Lovelace' }], birthDate: '1970-06-15', ...extra };
}

function mapped(resources: FhirResource[], overrides: Partial<ChartReadOutcomes> = {}, withPatient: Patient = patient()): PatientContext {
  const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [withPatient, ...resources].map((resource) => ({ resource })) };
  return buildPatientContext(chartReadsFromBundle(bundle, { patientId: 'p1' }, { overrides }), NOW);
}

/** Payloads for every context a name can land in: markup, attributes, templates, style, bidi and invisible characters. */
const HOSTILE_NAMES = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  '{{7*7}} ${7*7} <%= 7*7 %>',
  '</style><style>*{display:none}</style>',
  '</title></bdi><b>bold</b>',
];
const RLO = '\u202E';
const ZERO_WIDTH = '\u200B\u200C\u200D\u2060';

describe('the FHIR client against a real server', () => {
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

  function page(ids: string[], next?: string): Bundle {
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: ids.map((id) => ({ resource: { resourceType: 'Condition', id, subject: { reference: 'Patient/1' } } as never, search: { mode: 'match' } })),
      link: next === undefined ? [] : [{ relation: 'next', url: next }],
    };
  }

  test('F11: an EHR that answers with another patient\'s records: dropped from the snapshot, a security warning logged and audited, counted, never described', async () => {
    ehr.handle((request, response) => {
      const url = new URL(request.url!, ehr.origin);
      if (url.pathname === '/fhir/Patient/1') {
        sendJson(response, 200, PATIENT);
        return;
      }
      const type = url.pathname.split('/').pop() ?? '';
      const entry = type === 'Condition'
        ? [{ resource: { resourceType: 'Condition', id: 'theirs', subject: { reference: 'Patient/2' }, code: { text: 'HIV infection' } }, search: { mode: 'match' } }]
        : [];
      sendJson(response, 200, { resourceType: 'Bundle', type: 'searchset', entry });
    });
    const lines: string[] = [];
    const audited: AuditRecord[] = [];
    const launch: LaunchSession = {
      launchId: 'l'.repeat(22), browserSessionId: 'b'.repeat(43), tenantId: 'test-ehr', fhirBaseUrl: `${ehr.origin}/fhir`, patientId: '1',
      context: {}, csrfToken: 'c', createdAt: new Date(), lastSeenAt: new Date(), expiresAt: new Date(Date.now() + 3_600_000),
      tokens: { accessToken: 'token-1', tokenType: 'Bearer', scope: 'launch/patient patient/*.read', expiresAt: new Date(Date.now() + 3_600_000) },
    };
    const deps = {
      snapshots: { save: (_id: string, context: PatientContext) => Promise.resolve({ context }) },
      tokens: { logger: createLogger('debug', (line) => lines.push(line)) },
      audit: { append: (record: AuditRecord) => Promise.resolve(void audited.push(record)) },
    } as unknown as ChartSnapshotDeps;
    const snapshot = await takeChartSnapshot(deps, launch);
    expect(snapshot.context.conditions).toEqual([]);
    expect(snapshot.context.warnings).toContain('1 resource not linked to this patient was ignored');
    expect(audited).toEqual([expect.objectContaining({ action: 'chart.read', detail: expect.objectContaining({ foreignResourcesIgnored: 1 }) })]);
    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'chart.foreign_resources_ignored');
    expect(warnings).toEqual([expect.objectContaining({ level: 'warn', tenant: 'test-ehr', count: 1 })]);
    expect([...lines, JSON.stringify(audited)].join('\n')).not.toMatch(/HIV|Patient\/2|theirs/);
  });

  test('F1: 401 refreshes the token once and retries with the new one', async () => {
    let token = 'expired';
    const onUnauthorized = jest.fn(() => {
      token = 'fresh';
      return Promise.resolve(true);
    });
    ehr.handle((request, response) =>
      request.headers.authorization === 'Bearer fresh' ? sendJson(response, 200, PATIENT) : response.writeHead(401).end());
    const fhir = client({ getAccessToken: () => Promise.resolve(token), onUnauthorized });
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'ok' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(ehr.requests.map((request) => request.authorization)).toEqual(['Bearer expired', 'Bearer fresh']);
  });

  test('F1: a second 401 after the refresh is "not authorized", without a loop; concurrent 401s share one refresh', async () => {
    const onUnauthorized = jest.fn(() => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20)));
    ehr.handle((_request, response) => response.writeHead(401).end());
    const fhir = client({ onUnauthorized });
    const outcomes = await Promise.all([fhir.read('Patient/1'), fhir.search('Condition', { patient: '1' })]);
    expect(outcomes).toEqual([{ kind: 'not-authorized', status: 401 }, { kind: 'not-authorized', status: 401 }]);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(ehr.requests).toHaveLength(4);
  });

  test('F2: 403 is "not authorized"', async () => {
    ehr.handle((_request, response) => sendJson(response, 403, { resourceType: 'OperationOutcome', issue: [] }));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'not-authorized', status: 403 });
  });

  test('F7: references outside the FHIR base are never requested', async () => {
    const fhir = client();
    await expect(fhir.read(`${elsewhere.origin}/fhir/Medication/1`)).resolves.toEqual({ kind: 'failed', reason: 'the record is on another server' });
    await expect(fhir.read(`${ehr.origin}/fhir/../admin/Patient/1`)).resolves.toMatchObject({ kind: 'failed' });
    await expect(fhir.read('Patient/1?x=<script>')).resolves.toEqual({ kind: 'failed', reason: 'the reference is not valid' });
    expect([...ehr.requests, ...elsewhere.requests]).toEqual([]);
  });

  test('F8: follows next links under the base and merges the pages', async () => {
    ehr.handle((request, response) => {
      const pageNumber = new URL(request.url!, ehr.origin).searchParams.get('page') ?? '1';
      const next = pageNumber === '3' ? undefined : `${ehr.origin}/fhir/Condition?patient=1&page=${Number(pageNumber) + 1}`;
      sendJson(response, 200, page([`c${pageNumber}a`, `c${pageNumber}b`], next));
    });
    const outcome = await client().search('Condition', { patient: '1', code: 'http://loinc.org|4548-4,http://loinc.org|72514-3' });
    expect(outcome.kind).toBe('ok');
    const bundle = outcome.kind === 'ok' ? outcome.value : undefined;
    expect(bundle?.entry?.map((entry) => entry.resource?.id)).toEqual(['c1a', 'c1b', 'c2a', 'c2b', 'c3a', 'c3b']);
    expect(outcome).not.toHaveProperty('notes');
    expect(new URL(ehr.requests[0].url, ehr.origin).searchParams.get('code')).toBe('http://loinc.org|4548-4,http://loinc.org|72514-3');
    expect(ehr.requests.every((request) => request.authorization === 'Bearer token-1')).toBe(true);
  });

  test('F8: a next link to another origin is not followed and the token is not sent there', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, page(['c1'], `${elsewhere.origin}/fhir/Condition?page=2`)));
    const outcome = await client().search('Condition', { patient: '1' });
    expect(outcome).toMatchObject({ kind: 'ok', notes: ['a link to more results pointed outside the EHR and was not followed'] });
    expect(elsewhere.requests).toHaveLength(0);
  });

  test('F8: page and entry caps stop an endless or huge result, with a note', async () => {
    let served = 0;
    ehr.handle((_request, response) => {
      served += 1;
      sendJson(response, 200, page([`a${served}`, `b${served}`, `c${served}`], `${ehr.origin}/fhir/Condition?page=${served + 1}`));
    });
    const paged = await client().search('Condition', { patient: '1' }, { maxPages: 2 });
    expect(paged).toMatchObject({ kind: 'ok', notes: ['only the first 2 pages of results were read'] });
    expect(served).toBe(2);
    const capped = await client().search('Condition', { patient: '1' }, { maxEntries: 4 });
    expect(capped.kind === 'ok' && capped.value.entry).toHaveLength(4);
    expect(capped).toMatchObject({ notes: ['only the first 4 results were read'] });
  });

  test('F8: 10 000 entries on one page are cut at the entry cap', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, page(Array.from({ length: 10_000 }, (_, i) => `c${i}`))));
    const outcome = await client().search('Condition', { patient: '1' });
    expect(outcome.kind === 'ok' && outcome.value.entry).toHaveLength(2000);
    expect(outcome).toMatchObject({ notes: ['only the first 2000 results were read'] });
  });

  test('F8: slow pages without end run into the deadline of the whole search', async () => {
    let served = 0;
    ehr.handle((_request, response) => {
      served += 1;
      setTimeout(() => sendJson(response, 200, page([`c${served}`], `${ehr.origin}/fhir/Condition?page=${served + 1}`)), 100);
    });
    const started = Date.now();
    await expect(client({ searchDeadlineMs: 450 }).search('Condition', { patient: '1' }, { maxPages: 500 })).resolves.toEqual({
      kind: 'failed', reason: 'the EHR did not answer in time',
    });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(served).toBeLessThanOrEqual(6);
  });

  test('F8: a page that links to itself does not loop', async () => {
    ehr.handle((_request, response) => sendJson(response, 200, page(['c1'], `${ehr.origin}/fhir/Condition?patient=1`)));
    const outcome = await client().search('Condition', { patient: '1' });
    expect(outcome.kind === 'ok' && outcome.value.entry).toHaveLength(1);
    expect(ehr.requests).toHaveLength(1);
  });

  test('F8: a failure on a later page fails the whole search', async () => {
    ehr.handle((request, response) =>
      request.url!.includes('page=2') ? response.writeHead(503).end() : sendJson(response, 200, page(['c1'], `${ehr.origin}/fhir/Condition?page=2`)));
    await expect(client().search('Condition', { patient: '1' })).resolves.toEqual({ kind: 'failed', status: 503, reason: 'the EHR answered 503' });
  });

  test('F9: a 200 OperationOutcome, another resource type or another id is a failure', async () => {
    const answers = [{ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing' }] }, { resourceType: 'Practitioner', id: '1' }, { ...PATIENT, id: '2' }];
    ehr.handle((_request, response) => sendJson(response, 200, answers.shift()));
    const fhir = client();
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with an error' });
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with an unexpected resource type' });
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with a different record' });
  });

  test('F9: OperationOutcome entries: errors without results fail, errors with results warn, warnings are dropped', async () => {
    const outcomeEntry = (severity: string): object => ({
      resource: { resourceType: 'OperationOutcome', issue: [{ severity, code: 'processing' }] },
      search: { mode: 'outcome' },
    });
    const answers = [
      { ...page([]), entry: [outcomeEntry('error')] },
      { ...page(['c1']), entry: [...page(['c1']).entry!, outcomeEntry('warning')] },
      { ...page(['c1']), entry: [...page(['c1']).entry!, outcomeEntry('error')] },
      { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception' }] },
    ];
    ehr.handle((_request, response) => sendJson(response, 200, answers.shift()));
    const fhir = client();
    await expect(fhir.search('Condition', { patient: '1' })).resolves.toEqual({ kind: 'failed', reason: 'the EHR reported an error for this search' });
    const withWarning = await fhir.search('Condition', { patient: '1' });
    expect(withWarning).not.toHaveProperty('notes');
    expect(withWarning.kind === 'ok' && withWarning.value.entry?.map((entry) => entry.resource?.resourceType)).toEqual(['Condition']);
    await expect(fhir.search('Condition', { patient: '1' })).resolves.toMatchObject({
      kind: 'ok',
      notes: ['the EHR reported a problem, so the list may be incomplete'],
    });
    await expect(fhir.search('Condition', { patient: '1' })).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with an error' });
  });

  test.each([
    ['declared', true],
    ['streamed', false],
  ])('F10: an oversized body (%s length) is refused', async (_label, declareLength) => {
    const body = JSON.stringify({ ...PATIENT, text: { status: 'generated', div: 'x'.repeat(20_000) } });
    ehr.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json', ...(declareLength ? { 'content-length': body.length } : {}) });
      response.end(body);
    });
    await expect(client({ maxBytes: 10_000 }).read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: "the EHR's answer was too large" });
  });

  test('F10: an HTML login page is not FHIR', async () => {
    ehr.handle((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>'));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: 'the EHR did not answer with FHIR JSON' });
  });

  test('F10: FHIR XML, and JSON labelled as XML, are not FHIR JSON', async () => {
    const answers: Array<[string, string]> = [
      ['application/fhir+xml', '<Patient xmlns="http://hl7.org/fhir"><id value="1"/></Patient>'],
      ['application/xml', JSON.stringify(PATIENT)],
    ];
    ehr.handle((_request, response) => {
      const [type, body] = answers.shift() ?? ['text/plain', ''];
      response.writeHead(200, { 'content-type': type }).end(body);
    });
    const fhir = client();
    await expect(fhir.read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: 'the EHR did not answer with FHIR JSON' });
    await expect(fhir.read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: 'the EHR did not answer with FHIR JSON' });
  });

  test('F10: invalid JSON is a failure', async () => {
    ehr.handle((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"resourceType": "Pat'));
    await expect(client().read('Patient/1')).resolves.toEqual({ kind: 'failed', status: 200, reason: 'the EHR did not answer with valid JSON' });
  });

  test('F10: duplicate JSON keys cannot smuggle another record: the checks see the value the mapping sees', async () => {
    const bodies = [
      '{"resourceType":"Patient","id":"1","id":"2","name":[{"text":"Someone Else"}]}',
      '{"resourceType":"Patient","resourceType":"Practitioner","id":"1"}',
      '{"resourceType":"Patient","id":"2","id":"1","name":[{"text":"Test Patient"}]}',
    ];
    ehr.handle((_request, response) => response.writeHead(200, { 'content-type': 'application/fhir+json' }).end(bodies.shift()));
    const fhir = client();
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with a different record' });
    await expect(fhir.read('Patient/1')).resolves.toMatchObject({ kind: 'failed', reason: 'the EHR answered with an unexpected resource type' });
    await expect(fhir.read('Patient/1')).resolves.toEqual({ kind: 'ok', value: PATIENT });
  });
});

describe('the chart mapping against bad data', () => {
  test.each([...HOSTILE_NAMES])('F3: the name %s is kept as text and escaped in the handout HTML', (name) => {
    const context = mapped([], {}, patient({ name: [{ text: name }] }));
    expect(context.patient?.name).toBe(name);
    const html = renderHandoutHtml(handoutInput({ patient: { name } }));
    // OWASP's five: & < > " ' (XSS prevention cheat sheet, output encoding for HTML contexts).
    const escaped = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    expect(html).toContain(escaped);
    expect(html).not.toContain(name.includes('<') ? name : '\u0000');
  });

  test('F3: bidi override and control characters are stripped, the letters kept', () => {
    const context = mapped([], {}, patient({ name: [{ text: `  Ali${RLO}ce\u0000 \u2066Smith\u2069\r\nJr\u0007 ` }] }));
    expect(context.patient?.name).toBe('Alice Smith Jr');
  });

  test('F3: zero-width characters are kept as they are (ZWJ and ZWNJ shape Persian, Indic and emoji text); a BOM is a space', () => {
    const context = mapped([], {}, patient({ name: [{ text: `Ann${ZERO_WIDTH}Lee\uFEFFJr` }] }));
    expect(context.patient?.name).toBe(`Ann${ZERO_WIDTH}Lee Jr`);
  });

  test('F4: a 10 000-character name is capped at 200 characters with an ellipsis', () => {
    const context = mapped([], {}, patient({ name: [{ text: 'A'.repeat(10_000) }] }));
    expect(Array.from(context.patient!.name!)).toHaveLength(200);
    expect(context.patient!.name!.endsWith('A…')).toBe(true);
  });

  test('F4: the cap never splits an emoji (a surrogate pair) into a broken code point', () => {
    const context = mapped([], {}, patient({ name: [{ text: '😀'.repeat(5_000) }] }));
    const name = context.patient!.name!;
    expect(Array.from(name)).toHaveLength(200);
    // encodeURIComponent throws on a lone surrogate (half an emoji).
    expect(() => encodeURIComponent(name)).not.toThrow();
  });

  test.each([
    ['1970', undefined],
    ['1970-05', undefined],
    ['1970-02-30', undefined],
    ['2030-01-01', undefined],
    ['1970-11-26', 55],
    ['1970-11-25', 56],
  ])('F5: birth date %s gives age %s', (birthDate, age) => {
    const context = mapped([], {}, patient({ birthDate }));
    expect(context.patient?.birthDate).toBe(birthDate);
    expect(context.patient?.ageYears).toBe(age);
  });

  test('F5: no name, no birth date and an unknown gender: nothing invented, the handout says "not recorded"', () => {
    const bare: Patient = { resourceType: 'Patient', id: 'p1', gender: 'unknown' };
    const context = mapped([], {}, bare);
    expect(context.patient).toMatchObject({ id: 'p1' });
    expect(context.patient?.name).toBeUndefined();
    expect(context.patient?.birthDate).toBeUndefined();
    expect(context.patient?.ageYears).toBeUndefined();
    const html = renderHandoutHtml(handoutInput({ patient: {} }));
    expect(html).not.toMatch(/undefined|NaN|Invalid Date/);
  });

  test('F6: entered-in-error records are dropped; refuted, stopped and completed ones are kept with their status', () => {
    const hba1c = (id: string, value: number, effective: string): Observation => ({
      resourceType: 'Observation', id, status: 'final', subject: ME, effectiveDateTime: effective,
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c' }] },
      valueQuantity: { value, unit: '%' },
    });
    const context = mapped([
      { resourceType: 'Condition', id: 'c-error', subject: ME, code: { text: 'Sleep apnoea' }, verificationStatus: { coding: [{ code: 'entered-in-error' }] } },
      { resourceType: 'Condition', id: 'c-refuted', subject: ME, code: { text: 'Diabetes' }, verificationStatus: { coding: [{ code: 'refuted' }] } },
      { resourceType: 'MedicationRequest', id: 'm-error', subject: ME, status: 'entered-in-error', intent: 'order', medicationCodeableConcept: { text: 'warfarin' } },
      { resourceType: 'MedicationRequest', id: 'm-stopped', subject: ME, status: 'stopped', intent: 'order', medicationCodeableConcept: { text: 'warfarin' } },
      { resourceType: 'MedicationStatement', id: 's-error', subject: ME, status: 'entered-in-error', medicationCodeableConcept: { text: 'aspirin' } },
      { resourceType: 'AllergyIntolerance', id: 'a-error', patient: ME, code: { text: 'Latex' }, verificationStatus: { coding: [{ code: 'entered-in-error' }] } },
      { resourceType: 'Procedure', id: 'pr-error', subject: ME, status: 'entered-in-error', code: { text: 'Trial' } },
      { resourceType: 'Procedure', id: 'pr-done', subject: ME, status: 'completed', code: { text: 'Trial' } },
      { ...hba1c('o-error', 12, '2026-11-20'), status: 'entered-in-error' },
      hba1c('o-ok', 6.1, '2026-01-01'),
    ]);
    expect(context.conditions.map((fact) => [fact.reference, fact.verificationStatus])).toEqual([['Condition/c-refuted', 'refuted']]);
    expect(context.medications.map((fact) => [fact.reference, fact.status])).toEqual([['MedicationRequest/m-stopped', 'stopped']]);
    expect(context.allergies).toEqual([]);
    expect(context.procedures.map((fact) => fact.reference)).toEqual(['Procedure/pr-done']);
    expect(context.latestHbA1c?.reference).toBe('Observation/o-ok');
  });

  test('F6: a Condition without code, or with text only, is listed under a plain description and never crashes', () => {
    const context = mapped([
      { resourceType: 'Condition', id: 'no-code', subject: ME },
      { resourceType: 'Condition', id: 'text-only', subject: ME, code: { text: 'Chronic back pain' } },
      { resourceType: 'Condition', id: 'empty-code', subject: ME, code: { coding: [{}] } },
    ] as Condition[]);
    const byId = Object.fromEntries(context.conditions.map((fact) => [fact.reference, fact]));
    expect(byId['Condition/no-code']).toMatchObject({ display: 'condition with no description', codings: [] });
    expect(byId['Condition/text-only']).toMatchObject({ display: 'Chronic back pain', codings: [] });
    expect(byId['Condition/empty-code']).toMatchObject({ display: 'condition with no description' });
  });

  test('F7: contained and included Medications are resolved; foreign and dangling references never crash', () => {
    const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
    const context = mapped([
      {
        resourceType: 'MedicationRequest', id: 'contained', subject: ME, status: 'active', intent: 'order',
        contained: [{ resourceType: 'Medication', id: 'm1', code: { coding: [{ system: RXNORM, code: '856999', display: 'hydrocodone / APAP' }] },
          ingredient: [{ itemCodeableConcept: { coding: [{ system: RXNORM, code: '5489', display: 'hydrocodone' }] } }] }],
        medicationReference: { reference: '#m1' },
      },
      { resourceType: 'Medication', id: 'pregabalin', code: { text: 'pregabalin 75 MG', coding: [{ system: RXNORM, code: '483450' }] } },
      { resourceType: 'MedicationRequest', id: 'separate', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: 'Medication/pregabalin' } },
      { resourceType: 'MedicationRequest', id: 'foreign', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: 'https://elsewhere.example/fhir/Medication/9' } },
      { resourceType: 'MedicationRequest', id: 'dangling', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: 'Medication/missing', display: 'baclofen' } },
      { resourceType: 'MedicationRequest', id: 'nothing', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: '#absent' } },
    ]);
    const byId = Object.fromEntries(context.medications.map((fact) => [fact.reference.split('/')[1], fact]));
    expect(byId.contained).toMatchObject({ display: 'hydrocodone / APAP', resolution: 'contained' });
    expect(byId.contained.ingredientCodings.map((coding) => coding.code)).toEqual(['5489']);
    expect(byId.separate).toMatchObject({ display: 'pregabalin 75 MG', resolution: 'included' });
    expect(byId.separate.codings[0]).toMatchObject({ knownSystem: 'rxnorm', code: '483450' });
    expect(byId.foreign).toMatchObject({ display: 'medication on another server', resolution: 'foreign', codings: [] });
    expect(byId.dangling).toMatchObject({ display: 'baclofen', resolution: 'unresolved' });
    expect(byId.nothing).toMatchObject({ display: 'unknown medication', resolution: 'unresolved' });
  });

  test('F8: notes from a capped search reach the clinician as warnings', () => {
    const context = mapped([], {
      medicationRequests: { kind: 'ok', value: { resourceType: 'Bundle', type: 'searchset', entry: [] }, notes: ['only the first 10 pages of results were read'] },
    });
    expect(context.warnings).toEqual(['Medications: only the first 10 pages of results were read']);
  });

  test('F2: a refused read gives an empty list and "not authorized", never "none"', () => {
    const context = mapped(
      [{ resourceType: 'AllergyIntolerance', id: 'a1', patient: ME, code: { text: 'Morphine' } }],
      { allergies: { kind: 'not-authorized', status: 403 }, medicationRequests: { kind: 'failed', status: 500, reason: 'the EHR answered 500' } },
    );
    expect(context.allergies).toEqual([]);
    expect(context.reads.allergies).toEqual({ state: 'not-authorized' });
    expect(describeReadState('allergies', context.reads.allergies)).toBe('Not authorized to read allergies');
    expect(describeReadState('medicationRequests', context.reads.medicationRequests)).toBe('Could not read medications: the EHR answered 500');
    expect(describeReadState('encounter', context.reads.encounter)).toBe('No encounter in context');
    expect(describeReadState('conditions', context.reads.conditions)).toBeUndefined();
  });

  test('F11: resources for another patient (or none) are dropped with a PHI-free warning', () => {
    const reads = chartReadsFromBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient() }] }, { patientId: 'p1' }, {
      overrides: {
        conditions: { kind: 'ok', value: { resourceType: 'Bundle', type: 'searchset', entry: [
          { resource: { resourceType: 'Condition', id: 'mine', subject: { reference: 'Patient/p1' }, code: { text: 'Chronic pain' } } },
          { resource: { resourceType: 'Condition', id: 'theirs', subject: { reference: 'Patient/p2' }, code: { text: 'HIV infection' } } },
          { resource: { resourceType: 'Condition', id: 'nobody', subject: { display: 'someone' }, code: { text: 'Cancer' } } },
        ] } },
      },
    });
    const context = buildPatientContext(reads, NOW);
    expect(context.conditions.map((fact) => fact.display)).toEqual(['Chronic pain']);
    expect(context.warnings).toEqual(['2 resources not linked to this patient were ignored']);
    expect(context.warnings.join(' ')).not.toMatch(/HIV|p2|Cancer/);
  });

  test('F11: a Patient read that answers someone else gives no patient and a failed state', () => {
    const reads = chartReadsFromBundle({ resourceType: 'Bundle', type: 'collection', entry: [] }, { patientId: 'p1' }, {
      overrides: { patient: { kind: 'ok', value: patient({ id: 'p2' }) } },
    });
    const context = buildPatientContext(reads, NOW);
    expect(context.patient).toBeUndefined();
    expect(describeReadState('patient', context.reads.patient)).toBe('Could not read patient details: the EHR answered with a different patient');
  });

  test('F12: narratives (text.div) with active HTML are never carried into the context or the handout', () => {
    const narrative = (marker: string): { status: 'generated'; div: string } => ({
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script><img src="x" onerror="alert(1)"/>${marker}</div>`,
    });
    const context = mapped(
      [{ resourceType: 'Condition', id: 'c1', subject: ME, code: { text: 'Chronic pain' }, text: narrative('CONDITION-NARRATIVE') }],
      {},
      patient({ text: narrative('PATIENT-NARRATIVE') }),
    );
    const serialized = JSON.stringify(context);
    expect(serialized).not.toMatch(/NARRATIVE|onerror|<script/);
    expect(context.conditions.map((fact) => fact.display)).toEqual(['Chronic pain']);
    expect(renderHandoutHtml(handoutInput({ patient: { name: context.patient?.name } }))).not.toMatch(/NARRATIVE|onerror/);
  });
});

describe('the whole system: sandbox EHR, app and Chromium', () => {
  let system: TestSystem;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const PATIENT_ID = 'html-hostile-name-patient';

  beforeAll(async () => {
    system = await startTestSystem();
    const chromium = await launchBrowser();
    browser = chromium.browser;
    closeBrowser = () => chromium.close();
  });

  afterAll(async () => {
    await closeBrowser?.();
    await system?.close();
  });

  /** Changes the sandbox chart's Patient record (the launch reads it afresh). */
  async function setPatient(change: (patient: Patient) => Patient): Promise<void> {
    const repo = system.sandbox!.sandbox.repo;
    const current = await repo.readResource<MedplumPatient>('Patient', PATIENT_ID);
    await repo.updateResource(change(current as unknown as Patient) as unknown as MedplumPatient);
  }

  async function handoutPdf(launch: { agent: { request(url: string): Promise<Response> }; launchId: string }): Promise<Buffer> {
    const response = await launch.agent.request(`${system.appUrl}/api/launches/${launch.launchId}/handout.pdf`);
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  function embeddedFonts(pdf: Buffer): string[][] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-f4-'));
    try {
      const file = path.join(dir, 'h.pdf');
      fs.writeFileSync(file, pdf);
      // pdffonts: name, type, encoding, emb, sub, uni, object, ID — after two header lines.
      return execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter((line) => line.trim() !== '').map((line) => line.trim().split(/\s+/));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('F1: a 401 mid-session is answered by one refresh, and the chart is read again with the new token', async () => {
    const session = await openLaunch(system, 'anticoagulant-patient', 'generic');
    const tokenCalls = (): number => system.sandbox!.requests().filter((r) => r.method === 'POST' && r.path === '/auth/token').length;
    const before = tokenCalls();
    await queueFault(system, { fault: 'unauthorized', scope: 'read', patient: 'anticoagulant-patient', count: 1 });
    const refresh = await call(system, session, 'POST', `${system.appUrl}/api/launches/${session.launch.launchId}/chart/refresh`, {});
    expect(refresh.status).toBe(200);
    expect(tokenCalls() - before).toBe(1);
    const after = await contextOf(system, session.launch);
    expect(after.readNotes).toEqual([]);
  });

  test('F1: a refused refresh ends the session once, clearly; the snapshot and the answers are kept and a relaunch resumes them', async () => {
    const patientId = 'anticoagulant-patient';
    // The launch that will end: its refresh token is refused by the EHR (as after a revocation or a server restart).
    const launch = await launchAs(system, { patient: patientId, vendor: 'generic', error: 'refresh_refused' });
    expect(launch.finalResponse.status).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await launch.finalResponse.text())?.[1] ?? '';
    const launchId = launch.launchId;
    const s = { launch, csrf, api: `${system.appUrl}/api/launches/${launchId}/discussion` };
    const saved = await completedChecklist(system, s);
    expect(saved.status).toBe(200);
    const before = await contextOf(system, s.launch);

    // The access token is revoked (the next read gets 401); the refresh the app then tries is refused.
    await queueFault(system, { fault: 'unauthorized', scope: 'read', patient: patientId, count: 1 });
    const refresh = await call(system, s, 'POST', `${system.appUrl}/api/launches/${launchId}/chart/refresh`);
    expect(refresh.status).toBe(401);
    expect(refresh.body.details.reason).toBe('ehr_session_ended');
    expect(refresh.body.message).toMatch(/session with the EHR has ended/);
    expect(refresh.body.hint).toMatch(/Launch the app again from the patient's chart: everything entered so far is kept/);

    // The chart as read at launch is still what the page shows (not ten "not authorized" notes), the answers are kept.
    const after = await contextOf(system, s.launch);
    expect(after.chartRead).toEqual(before.chartRead);
    expect(after.readNotes).toEqual([]);
    const view = await call(system, s, 'GET', s.api);
    expect(Object.keys(view.body.discussion.answers as object).length).toBe(Object.keys(saved.body.discussion.answers as object).length);

    // A relaunch from the chart opens the same draft with everything entered.
    const relaunch = await openLaunch(system, patientId, 'generic');
    const resumed = await call(system, relaunch, 'GET', relaunch.api);
    expect(resumed.body.discussion.id).toBe(saved.body.discussion.id);
    expect(resumed.body.discussion.answers).toEqual(saved.body.discussion.answers);
  });

  test('F2: a read refused for scope is "not authorized", a failing one "could not read" — never empty', async () => {
    const launch = await launchAs(system, { patient: 'anticoagulant-patient', deny: ['AllergyIntolerance'], fail: ['Procedure'] });
    const body = await contextOf(system, launch);
    expect(body.context.reads.allergies.state).toBe('not-authorized');
    expect(body.context.reads.procedures.state).toBe('failed');
    const notes = body.readNotes.map((n: { text: string }) => n.text).join(' | ');
    expect(notes).toMatch(/not authorized to read allergies/i);
    expect(notes).toMatch(/could not read procedures/i);
    expect(body.context.reads.conditions.state).toBe('ok');
  });

  test('F3: every hostile name at once, and a narrative, are literal text in the page, the handout preview and the PDF', async () => {
    const name = `${HOSTILE_NAMES.join(' ')} Ann${ZERO_WIDTH}${RLO}Lee`;
    const shown = `${HOSTILE_NAMES.join(' ')} Ann${ZERO_WIDTH}Lee`;
    await setPatient((p) => ({ ...p, name: [{ text: name }], text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/>PATIENT-NARRATIVE</div>' } }));
    const page: Page = await launchInNewWindow(browser, system.sandboxUrl ?? '', { patient: PATIENT_ID });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await page.waitForSelector('[data-field="patient-name"]');
      expect(await page.$eval('[data-field="patient-name"]', (el) => el.textContent)).toBe(shown);
      const injected = '[onerror], [onload], script:not([src]), img[src="x"], b, style:not(head style)';
      expect(await page.$$eval(injected, (nodes) => nodes.map((n) => n.outerHTML))).toEqual([]);
      expect(await page.content()).not.toContain('PATIENT-NARRATIVE');

      const preview = `${system.appUrl}/app/${new URL(page.url()).pathname.split('/').pop() ?? ''}/handout`;
      await page.goto(preview);
      const previewText = await page.$eval('body', (el) => el.textContent ?? '');
      expect(previewText).toContain(shown);
      expect(previewText).not.toContain('PATIENT-NARRATIVE');
      expect(await page.$$eval(injected, (nodes) => nodes.map((n) => n.outerHTML))).toEqual([]);
      expect(await page.$$eval('style', (nodes) => nodes.every((n) => !(n.textContent ?? '').includes('display:none')))).toBe(true);
      expect(dialogs).toEqual([]);
    } finally {
      await page.close();
    }
    const launch = await launchAs(system, { patient: PATIENT_ID });
    // Zero-width characters have no glyph: pdftotext may or may not give them back.
    const visible = (text: string): string => normalizeText(text.replace(/[\u200B-\u200D\u2060]/g, ''));
    const text = visible(pdfText(await handoutPdf(launch)));
    expect({ nameInPdf: text.includes(visible(shown)), narrative: text.includes('PATIENT-NARRATIVE') }).toEqual({ nameInPdf: true, narrative: false });
  });

  test('F4: Arabic, CJK, emoji and combining marks print with embedded fonts; a 10 000-character name does not break the layout', async () => {
    await setPatient((p) => ({ ...p, name: [{ text: 'Ann Lee' }], text: undefined }));
    const baseline = await handoutPdf(await launchAs(system, { patient: PATIENT_ID }));

    const scripts = 'فاطمة 李小龙 Zoë Nguyễn 😀';
    await setPatient((p) => ({ ...p, name: [{ text: scripts }] }));
    const mixed = await handoutPdf(await launchAs(system, { patient: PATIENT_ID }));
    const text = normalizeText(pdfText(mixed)).normalize('NFC');
    for (const word of ['李小龙', 'Zoë', 'Nguyễn']) {
      expect(text).toContain(word);
    }
    expect(text).toMatch(/فاطمة|ةمطاف/);
    const fonts = embeddedFonts(mixed);
    expect(fonts.length).toBeGreaterThan(0);
    expect(fonts.filter((columns) => !columns.includes('yes'))).toEqual([]);

    await setPatient((p) => ({ ...p, name: [{ text: 'Bartholomew '.repeat(900) }] }));
    const long = await handoutPdf(await launchAs(system, { patient: PATIENT_ID }));
    expect(pdfPages(long)).toHaveLength(pdfPages(baseline).length);
    expect(normalizeText(pdfText(long))).toContain('Bartholomew Bartholomew');
    expect(normalizeText(pdfText(long))).not.toContain('Bartholomew '.repeat(30));
  });

  test('F5: a patient with no name and no birth date is "not recorded" in the page, with no age', async () => {
    await setPatient((p) => ({ resourceType: 'Patient', id: p.id, meta: p.meta, gender: 'unknown' }));
    const launch = await launchAs(system, { patient: PATIENT_ID });
    const body = await contextOf(system, launch);
    expect(body.context.patient).toEqual({ id: PATIENT_ID, sex: 'unknown' });
    const text = normalizeText(pdfText(await handoutPdf(launch)));
    expect(text).not.toMatch(/undefined|NaN|Invalid Date/);
  });
});
