/**
 * Operational log: one JSON object per line, never PHI, never a token. Callers pass only ids, codes, counts and
 * durations. Free text from outside (URLs, error messages from libraries) goes through `scrub()` first, because
 * a query string can carry an authorization code or state and an EHR error text can quote a patient.
 *
 * Lines are written by pino (level filtering, JSON encoding, path redaction). The `Logger` interface stays this
 * small `(event, fields)` shape so callers cannot hand pino an object (a request, an error with its stack, a FHIR
 * resource) that would carry PHI into the log; pino's `redact` is the second line of defence for token-shaped
 * fields that a caller names by mistake.
 */
import { pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Receives each log line (one JSON object, no trailing newline). Tests pass one to capture the lines. */
export type LogSink = (line: string) => void;

/**
 * Field names whose values are credentials or OAuth round-trip values (SMART App Launch: `code`, `state`; RFC 7523
 * `assertion`; token responses; HTTP credentials). Redacted at the top level and one level down (`*.name`), which
 * covers a token response or a headers object passed by mistake. `code` is therefore never a log field name: error
 * codes are logged as `errorCode`. (`launch` is
 * not listed: callers log only an 8-character prefix of our own launch id under it, never the EHR's launch handle.)
 */
const SECRET_FIELDS = [
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'client_assertion',
  'assertion',
  'code',
  'code_verifier',
  'state',
  'token',
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'csrfToken',
] as const;

/** pino redact paths: bracket notation, because some names (`set-cookie`) are not identifiers. */
export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((name) => [`["${name}"]`, `*["${name}"]`]);

export const REDACTED = '[redacted]';

/** Keeps the path of a URL and drops its query and fragment (codes, states, patient ids in search params). */
export function pathOnly(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * Makes outside text safe for a log line: cuts query strings, masks anything shaped like a bearer token or JWT,
 * removes control characters (log injection) and bounds the length. Hand-written because pino's `redact` only
 * removes whole values at known paths; it cannot find a token inside an error message or a URL.
 */
export function scrub(text: string, max = 200): string {
  return text
    .replace(/\?[^\s"']*/g, '?…')
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[jwt]')
    .replace(/\b(bearer|token|code|state|assertion)([=: ]+)[^\s&"',]+/gi, '$1$2[redacted]')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .slice(0, max);
}

/**
 * A pino destination that hands each line to the sink. pino calls `write` synchronously with the whole line, so a
 * test sees a line as soon as the logging call returns.
 */
function sinkStream(sink: LogSink): pino.DestinationStream {
  return {
    write(line: string): void {
      sink(line.endsWith('\n') ? line.slice(0, -1) : line);
    },
  };
}

export function createLogger(level: LogLevel = 'info', sink?: LogSink): Logger {
  const base = pino(
    {
      level,
      // No pid or hostname: the platform's log collector adds where a line came from.
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      // `level` as its name ("warn"), not pino's number, as the log readers and alerts expect.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    },
    // Without a sink, synchronous writes to stdout: a line logged just before a crash is not lost in a buffer.
    sink === undefined ? pino.destination({ dest: 1, sync: true }) : sinkStream(sink),
  );
  const write = (lineLevel: Exclude<LogLevel, 'silent'>, event: string, fields: LogFields = {}): void => {
    // `event` last so a field cannot overwrite the event name.
    base[lineLevel]({ ...fields, event });
  };
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}
