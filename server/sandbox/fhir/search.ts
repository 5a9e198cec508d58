import { getSearchParameter, isOk } from '@medplum/core';
import type { Bundle, BundleLink } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import type { FhirSiteContext } from '../context';
import { fhirError } from '../errors';
import type { Grant } from '../types';
import { assertPatientSearch, decideAccess, grantCanRead } from './access';
import { grantOf } from './bearer';
import { callRouter, queryOf, resourceUrl, sendFhir, sendOutcome } from './respond';

/** Paging: FHIR leaves page sizes to the server; these are ours (default 50, at most 200 per page). */
const DEFAULT_COUNT = 50;
const MAX_COUNT = 200;
const MAX_OFFSET = 100_000;

interface Page {
  count: number;
  offset: number;
}

function integerParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const values = params.getAll(name);
  if (values.length === 0) {
    return fallback;
  }
  const value = values[0];
  if (values.length > 1 || !/^\d{1,9}$/.test(value) || Number(value) > max) {
    throw fhirError('bad_request', `${name} must be a whole number from 0 to ${max}.`, 'invalid');
  }
  return Number(value);
}

function pageOf(params: URLSearchParams): Page {
  const count = Math.min(integerParam(params, '_count', DEFAULT_COUNT, Number.MAX_SAFE_INTEGER), MAX_COUNT);
  return { count, offset: integerParam(params, '_offset', 0, MAX_OFFSET) };
}

function pageUrl(ctx: FhirSiteContext, type: string, params: URLSearchParams, page: Page): string {
  const copy = new URLSearchParams(params);
  copy.set('_count', String(page.count));
  copy.set('_offset', String(page.offset));
  return `${ctx.fhirBaseUrl}/${type}?${copy.toString()}`;
}

/** `self`, `next` and `previous` links: Medplum's MemoryRepository adds none, and apps must page (Oracle reviews check). */
function pagingLinks(ctx: FhirSiteContext, type: string, params: URLSearchParams, page: Page, total: number): BundleLink[] {
  const links: BundleLink[] = [{ relation: 'self', url: pageUrl(ctx, type, params, page) }];
  if (page.offset + page.count < total) {
    links.push({ relation: 'next', url: pageUrl(ctx, type, params, { ...page, offset: page.offset + page.count }) });
  }
  if (page.offset > 0) {
    const previous = Math.max(0, page.offset - page.count);
    links.push({ relation: 'previous', url: pageUrl(ctx, type, params, { ...page, offset: previous }) });
  }
  return links;
}

/** Absolute `fullUrl`s, and `_include`d/`_revinclude`d resources the token could not read directly dropped. */
function finishBundle(ctx: FhirSiteContext, bundle: Bundle, grant: Grant, links: BundleLink[]): Bundle {
  const entry = (bundle.entry ?? [])
    .filter((e) => e.resource !== undefined && (e.search?.mode === 'match' || grantCanRead(grant, e.resource)))
    .map((e) => ({ fullUrl: resourceUrl(ctx, e.resource as NonNullable<typeof e.resource>), ...e }));
  return { resourceType: 'Bundle', type: 'searchset', total: bundle.total ?? 0, link: links, entry };
}

/** `Encounter/e1,EpisodeOfCare/e1` for a bare `e1`: every type the reference parameter can point at. */
function qualifyReference(value: string, targets: readonly string[]): string {
  return value
    .split(',')
    .map((part) => (part === '' || part.includes('/') || part.includes(':') ? part : targets.map((t) => `${t}/${part}`).join(',')))
    .join(',');
}

/**
 * A reference parameter may be searched by bare id (`encounter=e1`: R4 search.html#reference), which Medplum's
 * in-memory search only matches for single-target parameters such as `patient`. Qualifying the id with each target
 * type keeps FHIR's meaning, so an app reconciling `DocumentReference?patient=…&encounter=<id>` finds its note.
 */
function qualifyBareReferences(type: string, params: URLSearchParams): URLSearchParams {
  const qualified = new URLSearchParams();
  for (const [key, value] of params) {
    const param = /^[a-z][a-z-]*$/i.test(key) ? getSearchParameter(type, key) : undefined;
    const targets = param?.type === 'reference' ? (param.target ?? []) : [];
    qualified.append(key, targets.length > 0 ? qualifyReference(value, targets) : value);
  }
  return qualified;
}

/** `GET /fhir/:type?…`: scope and patient checks, the simulated failure, then Medplum's search with our paging. */
export async function handleSearch(ctx: FhirSiteContext, req: Request, res: Response): Promise<void> {
  const type = req.params.type as string;
  const grant = grantOf(res);
  const params = queryOf(req.originalUrl);
  const access = decideAccess(grant, type, 'search');
  if (access.patient !== undefined) {
    assertPatientSearch(type, params, access.patient);
  }
  if (grant.context.simulation.failingTypes.includes(type)) {
    throw fhirError('internal', `Simulated failure searching ${type}.`, 'exception');
  }
  const page = pageOf(params);
  const query = qualifyBareReferences(type, params);
  query.set('_count', String(page.count));
  query.set('_offset', String(page.offset));
  const [outcome, bundle] = await callRouter(ctx, 'GET', `${type}?${query.toString()}`);
  if (!isOk(outcome) || bundle?.resourceType !== 'Bundle') {
    sendOutcome(res, outcome);
    return;
  }
  const links = pagingLinks(ctx, type, params, page, bundle.total ?? 0);
  sendFhir(res, 200, finishBundle(ctx, bundle, grant, links));
}
