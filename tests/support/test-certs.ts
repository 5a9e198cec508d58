import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Certificates for TLS fault tests, made with the `openssl` command: a test CA, and server certificates that are
 * good (for localhost and 127.0.0.1, signed by the CA), for another host, expired, or self-signed (no CA at all).
 */
export interface KeyAndCert {
  key: string;
  cert: string;
}

export interface TestCerts {
  ca: string;
  good: KeyAndCert;
  wrongHost: KeyAndCert;
  expired: KeyAndCert;
  selfSigned: KeyAndCert;
}

export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function makeTestCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-certs-'));
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  try {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ITDD Test CA');
    const signed = (name: string, altNames: string, days: string): KeyAndCert => {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=itdd-test-server');
      fs.writeFileSync(file(`${name}.ext`), `subjectAltName=${altNames}\n`);
      // A negative lifetime ends the certificate before it begins: expired as soon as it is made.
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', days, '-extfile', `${name}.ext`);
      return { key: fs.readFileSync(file(`${name}.key`), 'utf8'), cert: fs.readFileSync(file(`${name}.pem`), 'utf8') };
    };
    const local = 'DNS:localhost,IP:127.0.0.1';
    const good = signed('good', local, '2');
    const wrongHost = signed('wrong-host', 'DNS:ehr.other.example', '2');
    const expired = signed('expired', local, '-1');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', `subjectAltName=${local}`);
    const selfSigned = { key: fs.readFileSync(file('self.key'), 'utf8'), cert: fs.readFileSync(file('self.pem'), 'utf8') };
    return { ca: fs.readFileSync(file('ca.pem'), 'utf8'), good, wrongHost, expired, selfSigned };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
