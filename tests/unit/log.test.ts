import { createLogger, pathOnly, REDACTED, scrub } from '../../server/log';
import type { LogFields, LogLevel } from '../../server/log';

function capture(level: LogLevel = 'debug'): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, (line) => lines.push(line)) };
}

describe('createLogger', () => {
  test('writes one JSON object per call, synchronously, with the event, a level name and an ISO time', () => {
    const { lines, logger } = capture();
    logger.info('launch.completed', { tenant: 'sandbox', ms: 12, ok: true });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toEqual({ level: 'info', time: expect.any(String), event: 'launch.completed', tenant: 'sandbox', ms: 12, ok: true });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  test('carries no pid, hostname or msg', () => {
    const { lines, logger } = capture();
    logger.warn('store.purge_failed');
    expect(Object.keys(JSON.parse(lines[0]) as object).sort()).toEqual(['event', 'level', 'time']);
  });

  test.each<[LogLevel, string[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ])('at level %s writes %j', (level, expected) => {
    const { lines, logger } = capture(level);
    logger.debug('e');
    logger.info('e');
    logger.warn('e');
    logger.error('e');
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(expected);
  });

  test('a field cannot replace the event name', () => {
    const { lines, logger } = capture();
    logger.info('real.event', { event: 'forged' });
    expect((JSON.parse(lines[0]) as { event: string }).event).toBe('real.event');
  });

  test.each([
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
  ])('redacts a field named %s', (name) => {
    const { lines, logger } = capture();
    const fields: LogFields = { [name]: 'secret-value-123', tenant: 'sandbox' };
    logger.error('oops', fields);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(lines[0]).not.toContain('secret-value-123');
    expect(line[name]).toBe(REDACTED);
    expect(line.tenant).toBe('sandbox');
  });

  test('redacts token fields one level down (a token response or headers object passed by mistake)', () => {
    const { lines, logger } = capture();
    const response = { access_token: 'at-1', refresh_token: 'rt-1', id_token: 'it-1', token_type: 'Bearer' };
    const headers = { authorization: 'Bearer at-1', cookie: '__Host-itdd_sid=abc' };
    // The Logger type allows only flat fields; a caller that casts past it is still covered.
    logger.info('mistake', { response, headers } as unknown as LogFields);
    expect(lines[0]).not.toMatch(/at-1|rt-1|it-1|__Host-itdd_sid/);
    const line = JSON.parse(lines[0]) as { response: Record<string, string>; headers: Record<string, string> };
    expect(line.response).toEqual({ access_token: REDACTED, refresh_token: REDACTED, id_token: REDACTED, token_type: 'Bearer' });
    expect(line.headers).toEqual({ authorization: REDACTED, cookie: REDACTED });
  });

  test('keeps the launch-id prefix and other ordinary fields', () => {
    const { lines, logger } = capture();
    logger.info('token.refreshed', { launch: 'abcdefgh', errorCode: 'bad_request', status: 400 });
    expect(JSON.parse(lines[0])).toMatchObject({ launch: 'abcdefgh', errorCode: 'bad_request', status: 400 });
  });

  test('escapes control characters in field values, so a value cannot start a forged line', () => {
    const { lines, logger } = capture();
    logger.info('x', { said: 'a\n{"level":"error","event":"forged"}' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
  });
});

describe('scrub and pathOnly', () => {
  test('scrub drops query strings, JWTs, bearer values and control characters, and bounds the length', () => {
    const line = scrub('GET /callback?code=abc&state=def token=xyz eyJhbGciOi.eyJzdWIiOi.sig Bearer abc\r\nFAKE');
    expect(line).not.toMatch(/abc|def|xyz|eyJ/);
    expect(line).not.toMatch(/[\r\n]/);
    expect(scrub('x'.repeat(500))).toHaveLength(200);
    expect(scrub('x'.repeat(500), 10)).toHaveLength(10);
  });

  test('pathOnly keeps the path and drops the query and fragment', () => {
    expect(pathOnly('/launch?iss=x&launch=y')).toBe('/launch');
    expect(pathOnly('/app/abc#frag')).toBe('/app/abc');
    expect(pathOnly('/plain')).toBe('/plain');
  });
});
