/**
 * `npm run render` arguments for the discussion outputs: which combinations are accepted, what `--date`,
 * `--clinician` and `--document-reference` mean, and a clear usage error (exit code 2) for everything else. Also the
 * helpers that make its output reproducible: the name-based discussion id and the PDF's information dates.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Practitioner } from 'fhir/r4';
import { DEFAULT_CLINICIAN, parseRenderArgs } from '../../server/cli/render-args';
import { derivedDiscussionId, uuidV5 } from '../../server/cli/reproducible';
import { withContentFileId, withPdfDates } from '../../server/handout/printed-pdf';

const TODAY = new Date('2026-01-02T10:00:00.123Z');
const BASE = ['--bundle', 'b.json'];

function usageErrorOf(argv: string[]): string {
  try {
    parseRenderArgs(argv, TODAY);
  } catch (error) {
    expect(error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('usage: npm run render') });
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseRenderArgs', () => {
  test('the note and DocumentReferences need no --out; several profiles, each to its own file', () => {
    const command = parseRenderArgs(
      [...BASE, '--checklist', 'a.json', '--note', 'n.txt', '--document-reference', 'epic:e.json', '--document-reference', 'us-core:dir/u:1.json'],
      TODAY,
    );
    expect(command).toEqual({
      bundlePath: 'b.json',
      largePrint: false,
      date: '2026-01-02',
      attestedAt: '2026-01-02T10:00:00Z',
      checklistPath: 'a.json',
      notePath: 'n.txt',
      documentReferences: [{ profile: 'epic', path: 'e.json' }, { profile: 'us-core', path: 'dir/u:1.json' }],
      clinician: { reference: 'Practitioner/itdd-dr-rivera', name: 'Elena Rivera, MD' },
    });
  });

  test('--date: a day is attested at noon UTC; an exact time keeps its offset and gives the handout its local day', () => {
    expect(parseRenderArgs([...BASE, '--out', 'o.pdf', '--date', '2026-11-24'], TODAY)).toMatchObject({
      date: '2026-11-24',
      attestedAt: '2026-11-24T12:00:00Z',
    });
    expect(parseRenderArgs([...BASE, '--out', 'o.pdf', '--date', '2026-11-24T21:36:00-05:00'], TODAY)).toMatchObject({
      date: '2026-11-24',
      attestedAt: '2026-11-24T21:36:00-05:00',
    });
  });

  test.each(['2026-02-30', '24/11/2026', '2026-11-24T09:36', '2026-11-24T09:36:00', '2026-11-24T25:00:00Z', '2026-11-24T09:36:00+5'])(
    '--date %s is refused',
    (date) => {
      expect(usageErrorOf([...BASE, '--out', 'o.pdf', '--date', date])).toContain('--date must be');
    },
  );

  test('--clinician takes a Practitioner or PractitionerRole reference and an optional name', () => {
    const withName = parseRenderArgs([...BASE, '--out', 'o.pdf', '--clinician', 'Practitioner/itdd-dr-chen| Wei Chen, MD '], TODAY);
    expect(withName.clinician).toEqual({ reference: 'Practitioner/itdd-dr-chen', name: 'Wei Chen, MD' });
    const roleOnly = parseRenderArgs([...BASE, '--out', 'o.pdf', '--clinician', 'PractitionerRole/itdd-role-1'], TODAY);
    expect(roleOnly.clinician).toEqual({ reference: 'PractitionerRole/itdd-role-1' });
    for (const bad of ['Patient/x|Name', 'https://ehr.example/Practitioner/1|Name', `Practitioner/x|${'n'.repeat(201)}`]) {
      expect(usageErrorOf([...BASE, '--out', 'o.pdf', '--clinician', bad])).toContain('--clinician must be');
    }
  });

  test('the default clinician is the sandbox pain specialist as practitioners.json names her', () => {
    const file = path.resolve(__dirname, '../../fhir-resources/sandbox/practitioners.json');
    const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as Bundle;
    const practitioner = bundle.entry?.map((e) => e.resource).find((r) => `${r?.resourceType}/${r?.id}` === DEFAULT_CLINICIAN.reference) as Practitioner;
    expect(practitioner.name?.[0]?.text).toBe(DEFAULT_CLINICIAN.name);
  });

  test('an unknown write profile, or one without a file, is a usage error naming the profiles', () => {
    expect(usageErrorOf([...BASE, '--checklist', 'a.json', '--document-reference', 'cerner:x.json'])).toContain(
      '"cerner" is not a write profile; use us-core, epic, oracle',
    );
    expect(usageErrorOf([...BASE, '--checklist', 'a.json', '--document-reference', 'epic'])).toContain('needs a file');
  });

  test('the note and DocumentReferences need --checklist; nothing to write, or a malformed --discussion-id, is refused', () => {
    expect(usageErrorOf([...BASE, '--note', 'n.txt'])).toContain('--checklist');
    expect(usageErrorOf([...BASE, '--document-reference', 'epic:e.json'])).toContain('--checklist');
    expect(usageErrorOf([...BASE, '--checklist', 'a.json'])).toContain('--out');
    expect(usageErrorOf([...BASE, '--out', 'o.pdf', '--discussion-id', 'not-a-uuid'])).toContain('--discussion-id');
  });
});

describe('reproducible output', () => {
  test('uuidV5 matches the RFC 9562 example (DNS namespace, "www.example.com")', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  test('the derived discussion id repeats for the same inputs and changes with any of them', () => {
    const inputs = { bundle: { resourceType: 'Bundle' }, answers: { attestation: { value: true } }, attestedAt: '2026-11-24T12:00:00Z', clinicianReference: 'Practitioner/a' };
    const id = derivedDiscussionId(inputs);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedDiscussionId(structuredClone(inputs))).toBe(id);
    for (const changed of [
      { ...inputs, bundle: { resourceType: 'Bundle', id: 'x' } },
      { ...inputs, answers: { attestation: { value: false } } },
      { ...inputs, attestedAt: '2026-11-24T12:00:01Z' },
      { ...inputs, clinicianReference: 'Practitioner/b' },
    ]) {
      expect(derivedDiscussionId(changed)).not.toBe(id);
    }
  });

  test('withPdfDates sets both information dates to the given time without changing the length', () => {
    const pdf = Buffer.from("%PDF-1.4\n<</Producer (Skia/PDF m156)\n/CreationDate (D:20250101010101+00'00')\n/ModDate (D:20250101010102+00'00')>>\n%%EOF\n", 'latin1');
    const stamped = withPdfDates(pdf, new Date('2026-11-24T09:36:00-05:00'));
    expect(stamped.length).toBe(pdf.length);
    expect(stamped.toString('latin1')).toContain("/CreationDate (D:20261124143600+00'00')\n/ModDate (D:20261124143600+00'00')");
    const undated = Buffer.from('%PDF-1.4\n%%EOF\n', 'latin1');
    expect(withPdfDates(undated, new Date())).toBe(undated);
  });

  test('withContentFileId sets a trailer /ID from the content: the same document, the same id, and the same length', () => {
    const pdf = (id: string, body = 'BT (Hello) Tj ET'): Buffer =>
      Buffer.from(`%PDF-1.4\n1 0 obj <</Length 16>> stream\n${body}\nendstream endobj\ntrailer\n<</Size 2 /ID [<${id}> <${id}>]>>\n%%EOF\n`, 'latin1');
    const first = withContentFileId(pdf('0123456789ABCDEF0123456789ABCDEF'));
    const second = withContentFileId(pdf('FEDCBA9876543210FEDCBA9876543210'));
    expect(first.equals(second)).toBe(true);
    expect(first.length).toBe(pdf('0123456789ABCDEF0123456789ABCDEF').length);
    expect(first.toString('latin1')).toMatch(/\/ID \[<[0-9A-F]{32}> <[0-9A-F]{32}>\]/);
    expect(first.toString('latin1')).not.toContain('0123456789ABCDEF');
    expect(withContentFileId(pdf('0123456789ABCDEF0123456789ABCDEF', 'BT (Other) Tj ET')).equals(first)).toBe(false);
    const withoutId = Buffer.from('%PDF-1.4\ntrailer\n<</Size 2>>\n%%EOF\n', 'latin1');
    expect(withContentFileId(withoutId)).toBe(withoutId);
  });
});
