/**
 * What the EHR said when it refused a note, in two forms (pure). An OperationOutcome's `details.text` and
 * `diagnostics` are the EHR's own words and may quote the chart, so they are shown to the clinician (it is their
 * patient) and stored sealed, never logged. The PHI-free form keeps only what is structural: the status, the issue
 * codes and the element paths (`expression`/`location` are FHIRPath, e.g. `DocumentReference.context.encounter`).
 * See https://hl7.org/fhir/R4/operationoutcome.html and research ehr-writeback.md §2.1 (Oracle's 422 business rules).
 */

export interface OutcomeSummary {
  /** For logs and the clear column: "HTTP 422: business-rule at DocumentReference.docStatus". */
  safe: string;
  /** For the clinician (sealed at rest): the EHR's messages, cleaned and bounded; undefined when it gave none. */
  readable: string | undefined;
}

interface Issue {
  severity?: unknown;
  code?: unknown;
  details?: { text?: unknown };
  diagnostics?: unknown;
  expression?: unknown;
  location?: unknown;
}

const FHIR_PATH = /^[A-Za-z][A-Za-z0-9_.[\]()-]{0,120}$/;
const ISSUE_CODE = /^[a-z][a-z-]{1,40}$/;
const MAX_ISSUES = 5;

/** Control and bidi-override characters out, whitespace collapsed, bounded. */
function clean(text: string, max: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function issuesOf(text: string | undefined): Issue[] {
  if (text === undefined || text.trim() === '') {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { resourceType?: unknown; issue?: unknown };
    return parsed.resourceType === 'OperationOutcome' && Array.isArray(parsed.issue) ? (parsed.issue as Issue[]).slice(0, MAX_ISSUES) : [];
  } catch {
    return [];
  }
}

function pathsOf(issue: Issue): string[] {
  const raw = [issue.expression, issue.location].flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : []));
  return raw.filter((p): p is string => typeof p === 'string' && FHIR_PATH.test(p)).slice(0, 2);
}

function safeIssue(issue: Issue): string {
  const code = typeof issue.code === 'string' && ISSUE_CODE.test(issue.code) ? issue.code : 'issue';
  const paths = pathsOf(issue);
  return paths.length === 0 ? code : `${code} at ${paths.join(', ')}`;
}

function readableIssue(issue: Issue): string | undefined {
  const words = [issue.details?.text, issue.diagnostics].find((t): t is string => typeof t === 'string' && t.trim() !== '');
  if (words === undefined) {
    return undefined;
  }
  const paths = pathsOf(issue);
  return clean(paths.length === 0 ? words : `${words} (${paths.join(', ')})`, 300);
}

/** Summarises the body of a refused write (usually an OperationOutcome; anything else counts as no detail). */
export function summariseOutcome(status: number, body: string | undefined): OutcomeSummary {
  const issues = issuesOf(body);
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  const shown = errors.length > 0 ? errors : issues;
  const safe = shown.length === 0 ? `HTTP ${status}` : `HTTP ${status}: ${shown.map(safeIssue).join('; ')}`;
  const readable = shown.map(readableIssue).filter((t): t is string => t !== undefined);
  return { safe: clean(safe, 300), readable: readable.length === 0 ? undefined : clean(readable.join(' · '), 1000) };
}
