/**
 * `npm run render`: a synthetic patient's bundle in, the tailored handout (PDF and HTML) and its flags out — and a
 * clear `bad_request` (exit code 2) for arguments or bundles it cannot use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRenderArgs, readBundle, runRender } from '../../server/cli/render';
import { normalizeText, pdfText } from '../support/pdf-text';

const PATIENTS = path.resolve(__dirname, '../../fhir-resources/patients');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-render-cli-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

test("renders the Spanish speaker's handout in Spanish, with HTML and the flags and their evidence", async () => {
  const command = parseRenderArgs([
    '--bundle', path.join(PATIENTS, 'spanish-speaker.json'),
    '--out', path.join(dir, 'es.pdf'),
    '--html', path.join(dir, 'es.html'),
    '--flags', path.join(dir, 'flags.json'),
    '--date', '2026-11-25',
  ]);
  await runRender(command);
  const text = normalizeText(pdfText(fs.readFileSync(path.join(dir, 'es.pdf'))));
  expect(text).toContain('Bomba de medicamento para el dolor: beneficios y riesgos');
  expect(text).toContain('José Ángel Ñúñez');
  expect(text).toContain('25 de noviembre de 2026');
  expect(fs.readFileSync(path.join(dir, 'es.html'), 'utf8')).toMatch(/<html lang="es"/);
  const flags = JSON.parse(fs.readFileSync(path.join(dir, 'flags.json'), 'utf8')) as Array<Record<string, unknown>>;
  const infection = flags.find((flag) => flag.handoutFlag === 'infection-risk');
  expect(infection).toMatchObject({ audience: 'patient', reason: expect.any(String), source: { id: expect.any(String) } });
  expect(infection?.evidence).toEqual(expect.arrayContaining([expect.objectContaining({ reference: expect.stringMatching(/^MedicationRequest\//) })]));
});

test('--lang and --large-print override the chart and the default size', () => {
  const command = parseRenderArgs(['--bundle', 'b.json', '--out', 'o.pdf', '--lang', 'es-MX', '--large-print'], new Date('2026-01-02T10:00:00Z'));
  expect(command).toEqual({
    bundlePath: 'b.json',
    outPath: 'o.pdf',
    language: 'es-MX',
    largePrint: true,
    date: '2026-01-02',
    attestedAt: '2026-01-02T10:00:00Z',
    documentReferences: [],
    clinician: { reference: 'Practitioner/itdd-dr-rivera', name: 'Elena Rivera, MD' },
  });
});

test('missing or unknown arguments are a bad request that shows the usage', () => {
  for (const argv of [[], ['--bundle', 'b.json'], ['--bundle', 'b.json', '--out', 'o.pdf', '--bogus']]) {
    expect(() => parseRenderArgs(argv)).toThrow(expect.objectContaining({ code: 'bad_request', message: expect.stringContaining('usage: npm run render') }));
  }
});

test('a missing, unreadable or wrong-shaped bundle is a bad request that says what is wrong', async () => {
  expect(() => readBundle(path.join(dir, 'nope.json'))).toThrow(expect.objectContaining({ code: 'bad_request', message: expect.stringContaining('does not exist') }));
  expect(() => readBundle(write('bad.json', '{not json'))).toThrow(expect.objectContaining({ message: expect.stringContaining('not valid JSON') }));
  expect(() => readBundle(write('patient.json', '{"resourceType":"Patient","id":"p"}'))).toThrow(
    expect.objectContaining({ message: expect.stringContaining('not a FHIR Bundle') }),
  );
  const twoPatients = write(
    'two.json',
    JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', id: 'a' } }, { resource: { resourceType: 'Patient', id: 'b' } }] }),
  );
  await expect(runRender(parseRenderArgs(['--bundle', twoPatients, '--out', path.join(dir, 'x.pdf')]))).rejects.toMatchObject({
    code: 'bad_request',
    message: expect.stringContaining('exactly one Patient'),
  });
  expect(fs.existsSync(path.join(dir, 'x.pdf'))).toBe(false);
});

describe('--indication and --procedure: what the handout is about, recorded as the Handout tab records it', () => {
  const ANTICOAGULANT = path.join(PATIENTS, 'anticoagulant.json');
  const EXAMPLE_ANSWERS = path.resolve(__dirname, '../../fhir-resources/examples/checklist-answers.example.json');

  test('are parsed, and anything but a listed value is a bad request showing the usage', () => {
    const command = parseRenderArgs(['--bundle', 'b.json', '--out', 'o.pdf', '--indication', 'spasticity', '--procedure', 'replacement']);
    expect(command.scenario).toEqual({ indication: 'spasticity', procedure: 'replacement' });
    expect(parseRenderArgs(['--bundle', 'b.json', '--out', 'o.pdf', '--procedure', 'trial-only']).scenario).toEqual({ procedure: 'trial-only' });
    expect(parseRenderArgs(['--bundle', 'b.json', '--out', 'o.pdf']).scenario).toBeUndefined();
    for (const argv of [['--indication', 'back-pain'], ['--procedure', '<b>']]) {
      expect(() => parseRenderArgs(['--bundle', 'b.json', '--out', 'o.pdf', ...argv])).toThrow(
        expect.objectContaining({ code: 'bad_request', message: expect.stringContaining('usage: npm run render') }),
      );
    }
  });

  test('the handout follows the choice: a replacement prints no trial', async () => {
    const html = path.join(dir, 'replacement.html');
    const report = await runRender(parseRenderArgs(['--bundle', ANTICOAGULANT, '--html', html, '--out', path.join(dir, 'replacement.pdf'), '--date', '2026-11-25', '--procedure', 'replacement']));
    expect(report).toContain('handout for: non-cancer-pain, replacement (chosen with --indication/--procedure)');
    expect(fs.readFileSync(html, 'utf8')).not.toContain('data-section="trial"');
    const chart = await runRender(parseRenderArgs(['--bundle', ANTICOAGULANT, '--html', html, '--out', path.join(dir, 'chart.pdf'), '--date', '2026-11-25']));
    expect(chart).toContain('handout for: non-cancer-pain, first-implant (as the chart reads)');
    expect(fs.readFileSync(html, 'utf8')).toContain('data-section="trial"');
  });

  test('the attestation rules and the note follow it: a replacement needs its own items, and the note says who chose', async () => {
    const note = path.join(dir, 'replacement-note.txt');
    const argv = ['--bundle', ANTICOAGULANT, '--date', '2026-11-25', '--procedure', 'replacement', '--note', note];
    await expect(runRender(parseRenderArgs([...argv, '--checklist', EXAMPLE_ANSWERS]))).rejects.toMatchObject({
      code: 'unprocessable',
      message: expect.stringContaining('- benefit-trial-first-replacement: required, not answered'),
    });
    expect(fs.existsSync(note)).toBe(false);
    const example = JSON.parse(fs.readFileSync(EXAMPLE_ANSWERS, 'utf8')) as { answers: Record<string, unknown> };
    const answers = { ...example.answers, 'benefit-trial-first-replacement': { value: true }, 'replacement-explained': { value: true } };
    const file = write('replacement-answers.json', JSON.stringify({ ...example, answers }));
    await runRender(parseRenderArgs([...argv, '--checklist', file]));
    const text = fs.readFileSync(note, 'utf8');
    expect(text).toContain('Handout and checklist for: pain not caused by cancer; a pump replacement or revision (no trial) (chosen by the clinician; the chart reads: pain not caused by cancer; a first implant after a trial)');
    expect(text).toContain('Explained that a trial comes before a first implant only');
    expect(text).not.toContain('A trial comes before any permanent implant.');
  });
});
