/**
 * The dashboard's filters and page position, read from the query string (pure). Everything comes from the browser,
 * so each value is bounded and shaped here; a bad value is a 400 that names the filter, never a silent "no filter".
 * The same parsed filters drive the page, the JSON API and the CSV export, so the three always show the same rows.
 */
import { z } from 'zod';
import { badRequest } from '../errors';

/** What the dashboard calls a discussion's state: its record (draft, attested) and, once filed, its note's. */
export const DASHBOARD_STATUSES = ['draft', 'attested', 'pending', 'filed', 'failed', 'entered-in-error'] as const;
export type DashboardStatus = (typeof DASHBOARD_STATUSES)[number];

export const PAGE_SIZE = 100;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A filter left blank in the form is no filter; surrounding spaces are not part of a value. */
function blankToUndefined(v: unknown): unknown {
  if (typeof v !== 'string') {
    return v;
  }
  return v.trim() === '' ? undefined : v.trim();
}
// eslint-disable-next-line @typescript-eslint/explicit-function-return-type -- zod's own inferred schema type
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

const calendarDate = z.string().regex(DATE).refine((v) => {
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}, 'not a calendar date');

const querySchema = z.object({
  from: optional(calendarDate),
  to: optional(calendarDate),
  clinician: optional(z.string().regex(/^[A-Za-z0-9_.:|/@+-]{1,200}$/)),
  patient: optional(z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/)),
  status: optional(z.enum(DASHBOARD_STATUSES)),
  version: optional(z.string().regex(/^[A-Za-z0-9.+-]{1,40}$/)),
  language: optional(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{1,8})?$/)),
  after: optional(z.string().regex(/^[A-Za-z0-9_-]{1,200}$/)),
  integrity: optional(z.enum(['on'])),
});

export interface DashboardFilters {
  /** First day included (UTC), YYYY-MM-DD. */
  from?: string;
  /** Last day included (UTC), YYYY-MM-DD. */
  to?: string;
  /** The clinician's fhirUser, exactly as recorded. */
  clinician?: string;
  patient?: string;
  status?: DashboardStatus;
  /** The handout content version, e.g. 1.0.0. */
  version?: string;
  language?: string;
}

/** Where a page starts: after this (created_at, id) in the page order (newest first). */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

export interface DashboardQuery {
  filters: DashboardFilters;
  after?: PageCursor;
  /** Read each filed note back from the chart for this page (on demand: it costs one EHR read per row). */
  integrity: boolean;
}

export const FILTER_NAMES = ['from', 'to', 'clinician', 'patient', 'status', 'version', 'language'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');
}

function decodeCursor(value: string): PageCursor {
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (id === undefined || !UUID.test(id) || Number.isNaN(createdAt.getTime())) {
    throw badRequest('The page link is not valid.', { hint: 'Go back to the first page.', details: { reason: 'bad_cursor', field: 'after' } });
  }
  return { createdAt, id };
}

/** Parses the query string; unknown parameters are ignored (a bookmarked link from a later build still opens). */
export function parseDashboardQuery(query: Record<string, unknown>): DashboardQuery {
  const single = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const parsed = querySchema.safeParse(single);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'query')))];
    throw badRequest(`These filters are not valid: ${fields.join(', ')}.`, {
      hint: 'Dates are YYYY-MM-DD; the patient is a FHIR id; the clinician is a fhirUser reference.',
      details: { reason: 'bad_filter', fields },
    });
  }
  const { after, integrity, ...rest } = parsed.data;
  if (rest.from !== undefined && rest.to !== undefined && rest.from > rest.to) {
    throw badRequest('The date range ends before it starts.', { details: { reason: 'bad_filter', fields: ['from', 'to'] } });
  }
  const filters: DashboardFilters = {};
  for (const name of FILTER_NAMES) {
    const value = rest[name];
    if (value !== undefined) {
      (filters as Record<string, string>)[name] = value;
    }
  }
  return { filters, ...(after === undefined ? {} : { after: decodeCursor(after) }), integrity: integrity === 'on' };
}

/** The query string of these filters (for paging links and the export link), in a fixed order. */
export function filtersQueryString(filters: DashboardFilters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value !== undefined) {
      params.set(name, value);
    }
  }
  for (const [k, v] of Object.entries(extra)) {
    params.set(k, v);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
