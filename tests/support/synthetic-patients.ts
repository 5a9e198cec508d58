import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource } from 'fhir/r4';
import { projectRoot } from '../../server/project-root';

/** The synthetic patients of the sandbox EHR, as files: the index, each bundle, the sandbox users. */
export interface SyntheticIndexEntry {
  file: string;
  patientId: string;
  encounterId: string;
  scenario: string;
}

// From the project root, not __dirname: the benchmarks run this module compiled into dist-tools/.
export const PATIENTS_DIR = path.join(projectRoot(), 'fhir-resources', 'patients');
const PRACTITIONERS_FILE = path.join(projectRoot(), 'fhir-resources', 'sandbox', 'practitioners.json');

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

export const syntheticIndex: readonly SyntheticIndexEntry[] = readJson<SyntheticIndexEntry[]>(path.join(PATIENTS_DIR, 'index.json'));

export function loadSyntheticBundle(file: string): Bundle {
  return readJson<Bundle>(path.join(PATIENTS_DIR, file));
}

/** The sandbox's practitioners, organisation and location (what `fhirUser` and references point at). */
export function sandboxPractitioners(): FhirResource[] {
  return (readJson<Bundle>(PRACTITIONERS_FILE).entry ?? []).flatMap((e) => (e.resource === undefined ? [] : [e.resource]));
}

export function syntheticEntry(patientId: string): SyntheticIndexEntry {
  const entry = syntheticIndex.find((e) => e.patientId === patientId);
  if (entry === undefined) {
    throw new Error(`no synthetic patient ${patientId}`);
  }
  return entry;
}
