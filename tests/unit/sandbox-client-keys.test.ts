import crypto from 'node:crypto';
import { ClientKeyResolver } from '../../server/sandbox/auth/client-keys';
import type { SandboxClient } from '../../server/sandbox/types';

function publicJwk(kid: string): JsonWebKey {
  const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  return { ...publicKey.export({ format: 'jwk' }), kid } as JsonWebKey;
}

const client: SandboxClient = {
  clientId: 'app',
  redirectUris: ['http://localhost/cb'],
  launchUrl: 'http://localhost/launch',
  jwksUrl: 'http://localhost/jwks.json',
};

function fakeJwksServer(initial: JsonWebKey[]): { fetch: typeof fetch; calls: RequestInit[]; keys: JsonWebKey[] } {
  const state = { calls: [] as RequestInit[], keys: initial };
  const fakeFetch = ((_url: string, init: RequestInit) => {
    state.calls.push(init);
    return Promise.resolve(new Response(JSON.stringify({ keys: state.keys }), { status: 200 }));
  }) as unknown as typeof fetch;
  return Object.assign(state, { fetch: fakeFetch });
}

describe('ClientKeyResolver', () => {
  it('fetches a JWKS URL without following redirects and with a deadline, then serves from cache', async () => {
    const server = fakeJwksServer([publicJwk('k1')]);
    let now = 0;
    const resolver = new ClientKeyResolver(() => now, server.fetch);
    expect(await resolver.find(client, 'k1')).toBeDefined();
    expect(await resolver.find(client, 'k1')).toBeDefined();
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.redirect).toBe('error');
    expect(server.calls[0]?.signal).toBeInstanceOf(AbortSignal);
    now += 5 * 60_000 + 1;
    await resolver.find(client, 'k1');
    expect(server.calls).toHaveLength(2);
  });

  it('refetches once when the kid is unknown (key rotation), and gives up if still unknown', async () => {
    const server = fakeJwksServer([publicJwk('old')]);
    const resolver = new ClientKeyResolver(() => 0, server.fetch);
    await resolver.find(client, 'old');
    server.keys = [publicJwk('new')];
    expect(await resolver.find(client, 'new')).toBeDefined();
    expect(server.calls).toHaveLength(2);
    expect(await resolver.find(client, 'missing')).toBeUndefined();
    expect(server.calls).toHaveLength(3);
  });

  it('ignores keys carrying private material or meant for encryption', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const leaked = { ...privateKey.export({ format: 'jwk' }), kid: 'leaked' } as JsonWebKey;
    const encryption = { ...publicJwk('enc'), use: 'enc' } as JsonWebKey;
    const resolver = new ClientKeyResolver(() => 0);
    const inline = { ...client, jwksUrl: undefined, jwks: { keys: [leaked, encryption] } };
    expect(await resolver.find(inline, 'leaked')).toBeUndefined();
    expect(await resolver.find(inline, 'enc')).toBeUndefined();
  });

  it('treats a failing or malformed JWKS endpoint as having no keys', async () => {
    const failing = (() => Promise.resolve(new Response('oops', { status: 500 }))) as unknown as typeof fetch;
    expect(await new ClientKeyResolver(() => 0, failing).find(client, 'k1')).toBeUndefined();
    const malformed = (() => Promise.resolve(new Response('{"nokeys":1}', { status: 200 }))) as unknown as typeof fetch;
    expect(await new ClientKeyResolver(() => 0, malformed).find(client, 'k1')).toBeUndefined();
  });
});
