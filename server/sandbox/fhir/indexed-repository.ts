import { evalFhirPath, getSearchParameter, Operator } from '@medplum/core';
import type { Filter, SearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/**
 * Medplum's in-memory repository with a reference index in front of its search.
 *
 * `MemoryRepository.search` evaluates every search parameter's FHIRPath on every stored resource of the type; the
 * shared `patient` parameter is a union over some thirty resource types, so one `Condition?patient=…` costs a
 * FHIRPath evaluation per Condition of every patient. A FHIR server indexes its references instead, and so does
 * this one: for a search with a reference filter (`patient=Patient/p1`, `subject=…`, `encounter=…`), only the
 * resources that reference one of the searched values are handed to Medplum's own search, which still applies every
 * filter, the chained ones, sorting, paging and `_include`s exactly as before. The answer is the same; only the
 * resources that cannot match are skipped.
 *
 * The references a stored resource makes are computed once per stored object. Medplum never changes a stored
 * resource in place (every create, update or patch stores a new object, reads hand out copies), so an index keyed
 * by the object itself cannot go stale.
 */
export class IndexedMemoryRepository extends MemoryRepository {
  /** Per stored resource: search parameter code → the references it evaluates to. */
  private readonly referencesOf = new WeakMap<Resource, Map<string, ReadonlySet<string>>>();

  constructor() {
    super();
    // Medplum's search and conditional create both find their matches in `searchSync`, synchronously (includes
    // are resolved after it, against the whole store): the candidates stand in for the type only during that call.
    const medplum = this as unknown as { searchSync(request: SearchRequest): Bundle };
    const scan = medplum.searchSync.bind(this);
    medplum.searchSync = (request: SearchRequest): Bundle => {
      const candidates = this.candidates(request);
      if (candidates === undefined) {
        return scan(request);
      }
      const store = this.storeOf();
      const all = store.resources;
      store.resources = new Map(all).set(request.resourceType, candidates);
      try {
        return scan(request);
      } finally {
        store.resources = all;
      }
    };
  }

  /** The stored resources that can match the request's reference filters; undefined when it has none to index by. */
  private candidates(request: SearchRequest): Map<string, Resource> | undefined {
    const filters = (request.filters ?? []).filter((f) => indexable(request.resourceType, f));
    // A chained filter (`subject.name=…`, `_has:…`) resolves other resources, possibly of this type: the long way.
    if (filters.length === 0 || (request.filters ?? []).some((f) => f.code.includes('.') || f.code.startsWith('_has'))) {
      return undefined;
    }
    const stored = this.storeOf().resources.get(request.resourceType) ?? new Map<string, Resource>();
    const found = new Map<string, Resource>();
    for (const [id, resource] of stored) {
      if (filters.every((f) => referencesAny(this.references(resource, f.code), f.value))) {
        found.set(id, resource);
      }
    }
    return found;
  }

  private references(resource: Resource, code: string): ReadonlySet<string> {
    let byCode = this.referencesOf.get(resource);
    if (byCode === undefined) {
      byCode = new Map();
      this.referencesOf.set(resource, byCode);
    }
    let references = byCode.get(code);
    if (references === undefined) {
      const param = getSearchParameter(resource.resourceType, code);
      references = new Set(param?.expression === undefined ? [] : evalFhirPath(param.expression, resource).flatMap(referenceStrings));
      byCode.set(code, references);
    }
    return references;
  }

  private storeOf(): { resources: Map<string, Map<string, Resource>> } {
    return this as unknown as { resources: Map<string, Map<string, Resource>> };
  }
}

/**
 * A plain equality filter on a reference parameter whose every value is typed (`Patient/p1`): Medplum matches those
 * exactly against the references the parameter evaluates to. Bare ids, modifiers and chains go the long way.
 */
function indexable(resourceType: string, filter: Filter): boolean {
  if (filter.operator !== Operator.EQUALS || filter.code.includes('.') || filter.code.startsWith('_')) {
    return false;
  }
  const param = getSearchParameter(resourceType, filter.code);
  return param?.type === 'reference' && filter.value !== '' && splitValues(filter.value).every((v) => /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(v));
}

/** FHIR search values are comma-separated, a backslash escapes a comma. */
function splitValues(value: string): string[] {
  return value.split(/(?<!\\),/);
}

function referencesAny(references: ReadonlySet<string>, value: string): boolean {
  return splitValues(value).some((v) => references.has(v));
}

/** The reference strings one FHIRPath result stands for, as Medplum's matcher reads them. */
function referenceStrings(value: unknown): string[] {
  if (typeof value === 'string') {
    return [value];
  }
  if (typeof value !== 'object' || value === null) {
    return [];
  }
  const v = value as { reference?: unknown; resourceType?: unknown; id?: unknown };
  const out: string[] = [];
  if (typeof v.reference === 'string') {
    out.push(v.reference);
  }
  if (typeof v.resourceType === 'string' && typeof v.id === 'string') {
    out.push(`${v.resourceType}/${v.id}`);
  }
  return out;
}
