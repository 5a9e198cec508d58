import type { DocumentReference } from 'fhir/r4';
import { loadConfig, mayReadCompliance } from '../../server/config';
import { csvCell, csvLine } from '../../server/compliance/dashboard-table';
import { compareWithLedger } from '../../server/compliance/integrity';
import { dashboardStatusOf } from '../../server/compliance/dashboard-query';
import { sha256Hex } from '../../fhir-resources/discussion-note';

describe('who may read the compliance dashboard (per tenant)', () => {
  const tenant = { iss: 'https://ehr.example.org/r4', compliance: { users: ['Practitioner/c1', 'https://other.example/fhir/Practitioner/c2'] } };

  test('a listed fhirUser, absolute under the tenant\'s iss or as listed, gets in; anyone else does not', () => {
    expect(mayReadCompliance(tenant, 'https://ehr.example.org/r4/Practitioner/c1')).toBe(true);
    expect(mayReadCompliance(tenant, 'Practitioner/c1')).toBe(true);
    expect(mayReadCompliance(tenant, 'https://other.example/fhir/Practitioner/c2')).toBe(true);
    expect(mayReadCompliance(tenant, 'https://evil.example/r4/Practitioner/c1')).toBe(false);
    expect(mayReadCompliance(tenant, 'https://ehr.example.org/r4/Practitioner/c3')).toBe(false);
    expect(mayReadCompliance(tenant, undefined)).toBe(false);
    expect(mayReadCompliance({ iss: tenant.iss }, 'Practitioner/c1')).toBe(false);
  });

  test('a configured tenant has nobody on its list unless it says so', () => {
    const config = loadConfig({
      ITDD_ENV: 'sandbox',
      EHR_TENANTS: JSON.stringify([{ id: 'epic-prod', name: 'Epic', iss: 'https://epic.example/api/FHIR/R4', vendor: 'epic', clientId: 'c' },
        { id: 'oracle-prod', name: 'Oracle', iss: 'https://oracle.example/r4', vendor: 'oracle', clientId: 'c', compliance: { users: ['Practitioner/9'] } }]),
    });
    expect(config.tenants.map((t) => t.compliance)).toEqual([{ users: [] }, { users: ['Practitioner/9'] }]);
    expect(() => loadConfig({ EHR_TENANTS: JSON.stringify([{ id: 'x', name: 'X', iss: 'https://x.example/r4', vendor: 'generic', clientId: 'c', compliance: { roles: ['admin'] } }]) })).toThrow();
  });
});

describe('CSV export cells', () => {
  test.each([['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'], ['+1', '"\'+1"'], ['-2', '"\'-2"'], ['@SUM(A1)', '"\'@SUM(A1)"'], ['\tx', '"\'\tx"'], ['\rx', '"\'\rx"']])(
    'a cell starting like a formula is neutralised: %j', (value, expected) => {
      expect(csvCell(value)).toBe(expected);
    });

  test('plain cells stay as they are; commas, quotes and line breaks are quoted (RFC 4180)', () => {
    expect(csvLine(['a', 'b c', '1/2', 'x,y', 'say "hi"', 'two\nlines'])).toBe('a,b c,1/2,"x,y","say ""hi""","two\nlines"\r\n');
  });
});

describe('the integrity comparison with the ledger', () => {
  const note = Buffer.from('Consent discussion note');
  const pdf = Buffer.from('%PDF-1.4 handout');
  const filing = { noteSha256: sha256Hex(note), pdfSha256: sha256Hex(pdf) };
  const doc = (content: Array<{ type: string; bytes?: Buffer }>, extra: Partial<DocumentReference> = {}): DocumentReference => ({
    resourceType: 'DocumentReference', status: 'current',
    content: content.map((c) => ({ attachment: { contentType: c.type, ...(c.bytes === undefined ? {} : { data: c.bytes.toString('base64') }) } })),
    ...extra,
  });

  test('the same bytes match; other bytes are "changed"; a missing note text is "changed"', () => {
    expect(compareWithLedger(doc([{ type: 'text/plain;charset=utf-8', bytes: note }, { type: 'application/pdf', bytes: pdf }]), filing)).toEqual({ state: 'match' });
    expect(compareWithLedger(doc([{ type: 'text/plain', bytes: Buffer.from('edited') }]), filing).state).toBe('changed');
    expect(compareWithLedger(doc([{ type: 'text/plain', bytes: note }, { type: 'application/pdf', bytes: Buffer.from('x') }]), filing).state).toBe('changed');
    expect(compareWithLedger(doc([{ type: 'application/pdf', bytes: pdf }]), filing).state).toBe('changed');
  });

  test('a document marked entered-in-error says so; one without bytes cannot be checked, and says why', () => {
    expect(compareWithLedger(doc([{ type: 'text/plain', bytes: note }], { status: 'entered-in-error' }), filing)).toEqual({ state: 'entered-in-error' });
    expect(compareWithLedger(doc([{ type: 'text/plain' }]), filing)).toEqual({ state: 'not-checked', reason: 'the EHR returned the document without its content' });
  });

  test('the dashboard status of a record and its filing', () => {
    expect([
      dashboardStatusOf('draft', null), dashboardStatusOf('attested', null), dashboardStatusOf('attested', 'sent'),
      dashboardStatusOf('attested', 'reconciled'), dashboardStatusOf('attested', 'failed'), dashboardStatusOf('attested', 'entered-in-error'),
    ]).toEqual(['draft', 'attested', 'pending', 'filed', 'failed', 'entered-in-error']);
  });
});
