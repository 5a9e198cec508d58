import path from 'node:path';
import { parseSearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Condition, DocumentReference, Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../../fhir-resources/fhir-definitions';
import { loadSandboxData } from '../../server/sandbox/data/loader';
import type { SandboxData } from '../../server/sandbox/data/loader';
import { IndexedMemoryRepository } from '../../server/sandbox/fhir/indexed-repository';
import { projectRoot } from '../../server/project-root';

/**
 * The sandbox's FHIR server indexes references in front of Medplum's search. These tests hold it to Medplum's own
 * answers on the whole synthetic data set: an index may only skip resources that cannot match.
 */
const DATA_DIR = path.join(projectRoot(), 'fhir-resources');
let plain: MemoryRepository;
let indexed: IndexedMemoryRepository;
let data: SandboxData;

beforeAll(async () => {
  loadFhirDefinitions();
  plain = new MemoryRepository();
  indexed = new IndexedMemoryRepository();
  data = await loadSandboxData(plain, DATA_DIR);
  await loadSandboxData(indexed, DATA_DIR);
});

/** What a search answered, in a comparable form: total, ids in order, and each entry's search mode. */
function answer(bundle: Bundle): { total: number | undefined; entries: string[] } {
  return { total: bundle.total, entries: (bundle.entry ?? []).map((e) => `${e.search?.mode ?? '?'} ${e.resource?.resourceType ?? ''}/${e.resource?.id ?? ''}`) };
}

async function both(url: string): Promise<[ReturnType<typeof answer>, ReturnType<typeof answer>]> {
  return [answer(await plain.search(parseSearchRequest(url))), answer(await indexed.search(parseSearchRequest(url)))];
}

const CLINICAL_TYPES = ['Condition', 'MedicationRequest', 'MedicationStatement', 'AllergyIntolerance', 'Observation', 'Procedure', 'Device', 'Encounter'];

describe('the indexed sandbox repository answers every search as Medplum does', () => {
  test('patient and subject searches, for every patient and clinical type', async () => {
    let matched = 0;
    for (const patient of [...data.patients.map((p) => p.patientId), 'no-such-patient']) {
      for (const type of CLINICAL_TYPES) {
        for (const param of ['patient', 'subject']) {
          const [expected, actual] = await both(`${type}?${param}=Patient/${patient}`);
          expect(actual).toEqual(expected);
          matched += expected.entries.length;
        }
      }
    }
    expect(matched).toBeGreaterThan(50);
  });

  test('with code filters, includes, several values, sorting and paging', async () => {
    const [first, second] = data.patients.map((p) => p.patientId);
    const urls = [
      `MedicationRequest?patient=Patient/${first}&_include=MedicationRequest:medication`,
      `Observation?patient=Patient/${first}&code=http://loinc.org|4548-4,http://loinc.org|72514-3`,
      `Condition?patient=Patient/${first},Patient/${second}&_sort=-recorded-date`,
      `Condition?patient=Patient/${first},Patient/${second}&_count=2&_offset=1`,
      `Condition?patient=Patient/${first}&clinical-status=active`,
      `Encounter?patient=Patient/${first}&_revinclude=Condition:encounter`,
      `Encounter?patient=Patient/${first}&_include=Encounter:part-of`,
      `Encounter?patient=Patient/${first}&_revinclude=Encounter:part-of`,
      `Condition?patient=Patient/${first}&encounter.status=finished`,
      `Condition?patient=${first}`,
      `Condition?patient:missing=false&_count=5`,
    ];
    for (const url of urls) {
      const [expected, actual] = await both(url);
      expect({ url, ...actual }).toEqual({ url, ...expected });
    }
  });

  test('a resource updated to another patient, and a new one, are found where they now belong', async () => {
    const [first, second] = data.patients.map((p) => p.patientId);
    const conditions = await indexed.search(parseSearchRequest<Condition>(`Condition?patient=Patient/${first}`));
    const moved = conditions.entry?.[0]?.resource as Condition;
    await indexed.updateResource({ ...moved, subject: { reference: `Patient/${second}` } });
    const note: DocumentReference = { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/plain', data: 'aGk=' } }], subject: { reference: `Patient/${first}` } };
    const created = await indexed.createResource(note);
    const ids = async (url: string): Promise<string[]> => ((await indexed.search(parseSearchRequest(url))).entry ?? []).map((e) => (e.resource as Resource).id ?? '');
    expect(await ids(`Condition?patient=Patient/${first}`)).not.toContain(moved.id);
    expect(await ids(`Condition?patient=Patient/${second}`)).toContain(moved.id);
    expect(await ids(`DocumentReference?patient=Patient/${first}`)).toEqual([created.id]);
    await indexed.deleteResource('DocumentReference', created.id);
    expect(await ids(`DocumentReference?patient=Patient/${first}`)).toEqual([]);
  });
});
