import { parseSetCookie } from 'cookie';
import type { Request, Response } from 'express';
import { BROWSER_SESSION_COOKIE, browserSessionId, ensureBrowserSession } from '../../server/launch/browser-session';
import { readCookie } from '../../server/sandbox/cookies';

const ID = 'A'.repeat(40) + '_-9';

function request(cookie: string | undefined): Request {
  return { headers: cookie === undefined ? {} : { cookie } } as unknown as Request;
}

function response(): { res: Response; setCookies: string[] } {
  const setCookies: string[] = [];
  const res = {
    append(name: string, value: string) {
      expect(name).toBe('Set-Cookie');
      setCookies.push(value);
      return res;
    },
  } as unknown as Response;
  return { res, setCookies };
}

const MALFORMED = [
  '',
  ';',
  ';;;  ;',
  '=',
  '=value',
  'noequals',
  `${BROWSER_SESSION_COOKIE}`,
  `${BROWSER_SESSION_COOKIE}=`,
  `${BROWSER_SESSION_COOKIE}=%E0%A4%A`,
  `${BROWSER_SESSION_COOKIE}="${ID}`,
  `${BROWSER_SESSION_COOKIE}=${ID}x`,
  `${BROWSER_SESSION_COOKIE}=${ID.slice(1)}`,
  `${BROWSER_SESSION_COOKIE}=${ID.slice(1)}/`,
  `__proto__=x; constructor=y`,
  '\u0000\u00ff\ud800',
];

describe('browser session cookie', () => {
  test('reads a well-formed id among other cookies, with any spacing', () => {
    expect(browserSessionId(request(`a=1;${BROWSER_SESSION_COOKIE}=${ID} ; b=2`))).toBe(ID);
    expect(browserSessionId(request(`  ${BROWSER_SESSION_COOKIE} = ${ID}`))).toBe(ID);
  });

  test('takes the first of two cookies with the session name', () => {
    const other = 'B'.repeat(43);
    expect(browserSessionId(request(`${BROWSER_SESSION_COOKIE}=${ID}; ${BROWSER_SESSION_COOKIE}=${other}`))).toBe(ID);
  });

  test('does not take a cookie whose name only ends with the session name', () => {
    expect(browserSessionId(request(`x${BROWSER_SESSION_COOKIE}=${ID}`))).toBeUndefined();
  });

  test.each(MALFORMED)('a malformed header %j is no session, and no error', (header) => {
    expect(browserSessionId(request(header))).toBeUndefined();
  });

  test('no Cookie header is no session', () => {
    expect(browserSessionId(request(undefined))).toBeUndefined();
  });

  test('a new session sets a __Host- cookie with Secure, HttpOnly, SameSite=None, Partitioned and Path=/', () => {
    const { res, setCookies } = response();
    const id = ensureBrowserSession(request(undefined), res);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(setCookies).toHaveLength(1);
    const attributes = setCookies[0].split(/;\s*/).slice(1).sort();
    expect(attributes).toEqual(['HttpOnly', 'Partitioned', 'Path=/', 'SameSite=None', 'Secure']);
    expect(parseSetCookie(setCookies[0])).toEqual({
      name: BROWSER_SESSION_COOKIE,
      value: id,
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'none',
      partitioned: true,
    });
  });

  test('an existing session is kept and no cookie is set; a malformed one is replaced', () => {
    const kept = response();
    expect(ensureBrowserSession(request(`${BROWSER_SESSION_COOKIE}=${ID}`), kept.res)).toBe(ID);
    expect(kept.setCookies).toEqual([]);
    const replaced = response();
    expect(ensureBrowserSession(request(`${BROWSER_SESSION_COOKIE}=%E0%A4%A`), replaced.res)).not.toBe('%E0%A4%A');
    expect(replaced.setCookies).toHaveLength(1);
  });

  test('two new sessions get different ids', () => {
    expect(ensureBrowserSession(request(undefined), response().res)).not.toBe(ensureBrowserSession(request(undefined), response().res));
  });
});

describe('sandbox readCookie', () => {
  test('reads the named cookie and nothing else', () => {
    expect(readCookie('sandbox_browser=abc; other=def', 'sandbox_browser')).toBe('abc');
    expect(readCookie('other=def', 'sandbox_browser')).toBeUndefined();
    expect(readCookie(undefined, 'sandbox_browser')).toBeUndefined();
  });

  test.each(MALFORMED)('a malformed header %j does not throw', (header) => {
    expect(() => readCookie(header, 'sandbox_browser')).not.toThrow();
    expect(readCookie(header, 'sandbox_browser')).toBeUndefined();
  });

  test('does not read names from the object prototype', () => {
    expect(readCookie('a=1', 'constructor')).toBeUndefined();
    expect(readCookie('a=1', 'toString')).toBeUndefined();
  });
});
