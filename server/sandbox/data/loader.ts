import fs from 'node:fs';
import path from 'node:path';
import { OperationOutcomeError, operationOutcomeToString, validateResource } from '@medplum/core';
import type { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Encounter, HumanName, Resource } from '@medplum/fhirtypes';
import { z } from 'zod';
import type { SandboxPatient, SandboxPractitioner } from '../types';

/** What the sandbox knows about its synthetic data after loading it into the repository. */
export interface SandboxData {
  practitioners: SandboxPractitioner[];
  patients: SandboxPatient[];
  /** Every resource type present in the data (the CapabilityStatement lists at least these). */
  resourceTypes: Set<string>;
}

/** FHIR R4 id syntax: https://hl7.org/fhir/R4/datatypes.html#id. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

const indexSchema = z
  .array(
    z.object({
      /** A plain file name inside `patients/`: no folders, so the index cannot point outside the data. */
      file: z.string().regex(/^[A-Za-z0-9._-]{1,100}\.json$/),
      patientId: z.string().regex(FHIR_ID),
      encounterId: z.string().regex(FHIR_ID),
      scenario: z.string().max(500),
    }),
  )
  .max(1000);

/** The name to show for a Patient or Practitioner: `text`, else prefix + given + family. */
export function displayName(names: HumanName[] | undefined): string | undefined {
  const name = names?.find((n) => n.use === 'official') ?? names?.[0];
  if (name === undefined) {
    return undefined;
  }
  const text = name.text ?? [...(name.prefix ?? []), ...(name.given ?? []), name.family ?? ''].join(' ');
  const trimmed = text.replace(/\s+/g, ' ').trim();
  return trimmed === '' ? undefined : trimmed;
}

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`Sandbox data: cannot read ${path.basename(file)}: ${(error as Error).message}`, { cause: error });
  }
}

function bundleResources(file: string): Resource[] {
  const bundle = readJsonFile(file) as Partial<Bundle>;
  if (bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) {
    throw new Error(`Sandbox data: ${path.basename(file)} is not a Bundle with entries`);
  }
  return bundle.entry.map((e, i) => {
    if (e.resource?.resourceType === undefined || e.resource.id === undefined) {
      throw new Error(`Sandbox data: ${path.basename(file)} entry ${i} has no resource with an id`);
    }
    return e.resource;
  });
}

/** Validates (R4 base) and stores resources under their own ids, so references between them keep working. */
async function storeResources(repo: MemoryRepository, resources: Resource[], source: string): Promise<void> {
  for (const resource of resources) {
    const label = `${source}: ${resource.resourceType}/${resource.id ?? '?'}`;
    try {
      validateResource(resource);
      await repo.createResource(resource, { assignedId: true });
    } catch (error) {
      const detail = error instanceof OperationOutcomeError ? operationOutcomeToString(error.outcome) : String(error);
      throw new Error(`Sandbox data: ${label} was refused: ${detail}`, { cause: error });
    }
  }
}

function practitionersFile(dataDir: string): string {
  const direct = path.join(dataDir, 'practitioners.json');
  return fs.existsSync(direct) ? direct : path.join(dataDir, 'sandbox', 'practitioners.json');
}

function toPractitioners(resources: Resource[]): SandboxPractitioner[] {
  return resources
    .filter((r) => r.resourceType === 'Practitioner')
    .map((r) => ({ id: r.id as string, name: displayName(r.name) ?? r.id as string }));
}

function describePatient(entry: z.infer<typeof indexSchema>[number], resources: Resource[]): SandboxPatient {
  const patient = resources.find((r) => r.resourceType === 'Patient' && r.id === entry.patientId);
  if (patient?.resourceType !== 'Patient') {
    throw new Error(`Sandbox data: ${entry.file} has no Patient/${entry.patientId}`);
  }
  const encounters = resources.filter(
    (r): r is Encounter => r.resourceType === 'Encounter' && r.subject?.reference === `Patient/${entry.patientId}`,
  );
  if (!encounters.some((e) => e.id === entry.encounterId)) {
    throw new Error(`Sandbox data: ${entry.file} has no Encounter/${entry.encounterId} for its patient`);
  }
  const others = encounters.map((e) => e.id as string).filter((id) => id !== entry.encounterId);
  return {
    patientId: entry.patientId,
    encounterIds: [entry.encounterId, ...others],
    name: displayName(patient.name) ?? '(no name)',
    scenario: entry.scenario,
  };
}

/**
 * The documentation-gap report's synthetic cases (`sandbox/gap-report.json`, when the data has one): patients who
 * are not in the simulator's list, with pump procedures done or scheduled and the notes filed (or not) before them.
 */
function gapReportFile(dataDir: string): string | undefined {
  const file = path.join(dataDir, 'sandbox', 'gap-report.json');
  return fs.existsSync(file) ? file : undefined;
}

/**
 * Loads `practitioners.json` and every patient bundle listed in `patients/index.json` into the repository.
 * Call `loadFhirDefinitions()` first. Bad data stops the start with a message naming the file and resource,
 * because a sandbox that silently drops a patient makes every test built on it lie.
 */
export async function loadSandboxData(repo: MemoryRepository, dataDir: string): Promise<SandboxData> {
  const resourceTypes = new Set<string>();
  const staff = bundleResources(practitionersFile(dataDir));
  await storeResources(repo, staff, 'practitioners.json');
  staff.forEach((r) => resourceTypes.add(r.resourceType));

  const index = indexSchema.parse(readJsonFile(path.join(dataDir, 'patients', 'index.json')));
  const patients: SandboxPatient[] = [];
  for (const entry of index) {
    const resources = bundleResources(path.join(dataDir, 'patients', entry.file));
    patients.push(describePatient(entry, resources));
    await storeResources(repo, resources, entry.file);
    resources.forEach((r) => resourceTypes.add(r.resourceType));
  }
  const gapCases = gapReportFile(dataDir);
  if (gapCases !== undefined) {
    const resources = bundleResources(gapCases);
    await storeResources(repo, resources, 'sandbox/gap-report.json');
    resources.forEach((r) => resourceTypes.add(r.resourceType));
  }
  return { practitioners: toPractitioners(staff), patients, resourceTypes };
}
