/**
 * Operational log: one JSON object per line, never PHI, never a token. Callers pass only ids, codes, counts and
 * durations. Free text from outside (URLs, error messages from libraries) goes through `scrub()` first, because
 * a query string can carry an authorization code or state and an EHR error text can quote a patient.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, string | number | boolean | undefined>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export type LogSink = (line: string) => void;

const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Keeps the path of a URL and drops its query and fragment (codes, states, patient ids in search params). */
export function pathOnly(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * Makes outside text safe for a log line: cuts query strings, masks anything shaped like a bearer token or JWT,
 * removes control characters (log injection) and bounds the length.
 */
export function scrub(text: string, max = 200): string {
  return text
    .replace(/\?[^\s"']*/g, '?…')
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[jwt]')
    .replace(/\b(bearer|token|code|state|assertion)([=: ]+)[^\s&"',]+/gi, '$1$2[redacted]')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .slice(0, max);
}

export function createLogger(level: LogLevel = 'info', sink: LogSink = stdoutSink): Logger {
  const write = (lineLevel: Exclude<LogLevel, 'silent'>, event: string, fields: LogFields = {}): void => {
    if (RANK[lineLevel] < RANK[level]) {
      return;
    }
    sink(JSON.stringify({ time: new Date().toISOString(), level: lineLevel, event, ...fields }));
  };
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}
