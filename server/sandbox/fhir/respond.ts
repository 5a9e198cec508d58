import type { IncomingHttpHeaders } from 'node:http';
import { getStatus } from '@medplum/core';
import type { FhirResponse, HttpMethod } from '@medplum/fhir-router';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Response } from 'express';
import type { FhirSiteContext } from '../context';
import { fhirError } from '../errors';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Runs one request through Medplum's router. `url` is relative to the FHIR base (`Observation?patient=p1`). */
export function callRouter(
  ctx: FhirSiteContext,
  method: HttpMethod,
  url: string,
  body?: unknown,
  headers: IncomingHttpHeaders = {},
): Promise<FhirResponse> {
  return ctx.router.handleRequest({ method, url, pathname: '', body, params: {}, query: {}, headers }, ctx.repo);
}

export function sendFhir(res: Response, status: number, body?: Resource): void {
  res.status(status).type(FHIR_JSON);
  res.send(body === undefined ? '' : JSON.stringify(body));
}

/** A Medplum outcome that is not OK, as the HTTP status it stands for (`getStatus`: 404, 412, 400, …). */
export function sendOutcome(res: Response, outcome: OperationOutcome): void {
  sendFhir(res, getStatus(outcome), outcome);
}


/** `ETag: W/"<versionId>"` and `Last-Modified` (HTTP-date), as FHIR's RESTful API asks on read and create. */
export function setVersionHeaders(res: Response, resource: Resource): void {
  if (resource.meta?.versionId !== undefined) {
    res.setHeader('ETag', `W/"${resource.meta.versionId}"`);
  }
  if (resource.meta?.lastUpdated !== undefined) {
    res.setHeader('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  }
}

/** The absolute URL of a resource (and version) on this server. */
export function resourceUrl(ctx: FhirSiteContext, resource: Resource, withVersion = false): string {
  const base = `${ctx.fhirBaseUrl}/${resource.resourceType}/${resource.id ?? ''}`;
  return withVersion && resource.meta?.versionId !== undefined ? `${base}/_history/${resource.meta.versionId}` : base;
}

const MAX_QUERY_PARAMS = 100;

/** The request's query string as parsed by the URL standard (repeated parameters kept), bounded in size. */
export function queryOf(originalUrl: string): URLSearchParams {
  const params = new URL(originalUrl, 'http://sandbox.invalid').searchParams;
  if ([...params.keys()].length > MAX_QUERY_PARAMS) {
    throw fhirError('bad_request', `At most ${MAX_QUERY_PARAMS} search parameters are accepted.`, 'too-costly');
  }
  return params;
}
