/**
 * The golden check of the printed handout, for every synthetic patient the sandbox serves: whatever the tailoring,
 * every benefit, risk and piece of advice of the seed page (content/seed-facts.json) is printed — in the HTML and
 * in the text a reader gets out of the PDF — and so are the seed page's five references.
 */
import { servedHandoutOfSynthetic } from '../support/served-handout';
import { loadHandoutPack, loadInterpreterNotices } from '../../server/content/content-packs';
import { BODY_SIZE_PT } from '../../server/handout/handout-styles';
import { PdfRenderer } from '../../server/handout/pdf';
import { visibleSections } from '../../server/handout/render-blocks';
import type { HandoutRenderInput } from '../../server/handout/render-html';
import { renderHandoutHtml } from '../../server/handout/render-html';
import { printHandoutPdf } from '../../server/handout/printed-pdf';
import { escapeHtml } from '../../server/http/html';
import { loneLines, normalizeText, paragraphTexts, pdfColumns, pdfPages, pdfText } from '../support/pdf-text';
import { plainName } from '../../server/handout/chart-findings';
import type { SeedFactText } from '../support/seed-facts';
import { missingFromPdfText, seedFactTexts } from '../support/seed-facts';
import type { SyntheticIndexEntry } from '../support/synthetic-patients';
import { syntheticIndex } from '../support/synthetic-patients';

const NOW = new Date('2026-11-25T12:00:00Z');

type IndexEntry = SyntheticIndexEntry;

interface Printed {
  input: HandoutRenderInput;
  html: string;
  pdfBody: string;
  /** Page by page, as `pdftotext -layout` reads it. */
  pages: string[];
  largePages: string[];
  spanishPages: string[];
  /** Page and column breaks that leave one line of a paragraph alone, per print. */
  loneLines: { normal: string[]; large: string[]; spanish: string[] };
}

const index = syntheticIndex;
const printed = new Map<string, Printed>();
let renderer: PdfRenderer;

function inputFor(entry: IndexEntry, choices: { largePrint?: boolean; language?: string } = {}): HandoutRenderInput {
  return servedHandoutOfSynthetic(entry, NOW, { date: '2026-11-25', printTarget: 'pdf', ...choices });
}

/** The PDF as the app prints it (the served function). */
function pdfOf(input: HandoutRenderInput): Promise<Buffer> {
  return printHandoutPdf(renderer, input, NOW);
}

/** The lone lines of one print: its PDF read column by column (normal print sets two), against its own HTML. */
function loneLinesOf(input: HandoutRenderInput, pdf: Buffer): string[] {
  return loneLines(pdfColumns(pdf, { twoColumns: !input.largePrint }), paragraphTexts(renderHandoutHtml(input)));
}

async function print(entry: IndexEntry): Promise<void> {
  const input = inputFor(entry);
  const largeInput = inputFor(entry, { largePrint: true });
  const spanishInput = inputFor(entry, { language: 'es' });
  const html = renderHandoutHtml(input);
  const [pdf, large, spanish] = await Promise.all([pdfOf(input), pdfOf(largeInput), pdfOf(spanishInput)]);
  printed.set(entry.file, {
    input,
    html,
    pdfBody: normalizeText(pdfText(pdf, { bodyOnly: true })),
    pages: pdfPages(pdf),
    largePages: pdfPages(large),
    spanishPages: pdfPages(spanish),
    loneLines: { normal: loneLinesOf(input, pdf), large: loneLinesOf(largeInput, large), spanish: loneLinesOf(spanishInput, spanish) },
  });
}

beforeAll(async () => {
  renderer = await PdfRenderer.start({ size: 2, pagesPerBrowser: 2, renderTimeoutMs: 60_000 });
  for (const entry of index) {
    await print(entry);
  }
}, 420_000);

afterAll(async () => {
  await renderer?.close();
  // The page counts, for the record (normal: patient pages before the references / all; large print; Spanish).
  const counts = [...printed.entries()].map(([file, r]) => {
    const heading = r.input.pack.sections.find((s) => s.id === 'references')!.heading;
    const es = loadHandoutPack('es').sections.find((s) => s.id === 'references')!.heading;
    const split = (pages: readonly string[], h: string): string => `${referencesPage(pages, h) - 1}+${pages.length - referencesPage(pages, h) + 1}=${pages.length}`;
    return `${file}: normal ${split(r.pages, heading)}, large ${split(r.largePages, heading)}, Spanish ${split(r.spanishPages, es)}`;
  });
  if (process.env.HANDOUT_PAGE_COUNTS === '1') {
    process.stdout.write(`${counts.join('\n')}\n`);
  }
});

function missingFrom(result: Printed, texts: readonly SeedFactText[]): string[] {
  const notInHtml = texts.filter(({ text }) => !result.html.includes(escapeHtml(text))).map(({ where, text }) => `${where}: not in the HTML: "${text}"`);
  return [...notInHtml, ...missingFromPdfText(result.pdfBody, texts)];
}

describe.each(index)('the handout printed for $file', (entry) => {
  test('covers every seed fact with a printed block whose text is in the HTML and the PDF', () => {
    const result = printed.get(entry.file)!;
    const { uncovered, texts } = seedFactTexts(result.input);
    const problems = [...uncovered, ...missingFrom(result, texts)];
    expect(problems).toEqual([]);
  });

  test("prints the seed page's five references", () => {
    const result = printed.get(entry.file)!;
    const references = result.input.pack.citations.filter((c) => c.kind === 'reference');
    expect(references.map((c) => c.seedReference).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(missingFrom(result, references.map((c) => ({ where: 'reference', text: c.text })))).toEqual([]);
  });
});

test('the Spanish speaker gets the Spanish pack; the Arabic speaker gets English with the interpreter notice', () => {
  const spanish = printed.get('spanish-speaker.json')!;
  const arabic = printed.get('arabic-rtl-name.json')!;
  expect(spanish.input.pack.language).toBe('es');
  expect(spanish.input.interpreterNeeded).toBe(false);
  expect(arabic.input.pack.language).toBe('en');
  const notice = arabic.input.pack.notices.find((n) => n.id === 'interpreter-needed')!.text;
  expect(arabic.pdfBody).toContain(normalizeText(notice));
  expect(spanish.pdfBody).not.toContain(normalizeText(notice));
});

/** The page where the references begin (1-based), i.e. the patient pages are the ones before it. */
function referencesPage(pages: readonly string[], heading: string): number {
  return pages.findIndex((page) => page.includes(heading)) + 1;
}

const LIMITS = { patientPages: 4, totalPages: 6, afterReferences: 2 };
/**
 * Large print's limits, derived (docs/large-print.md): a page holds text in proportion to the inverse square of the
 * type size, so the patient pages may grow by (16/12)² ≈ 1.78, rounded up (4 → 8); the references and longer
 * detail stay within 2 pages, so the whole PDF is at most 10 pages.
 */
const AREA_RATIO = (BODY_SIZE_PT.large / BODY_SIZE_PT.normal) ** 2;
const LARGE_LIMITS = { patientPages: Math.ceil(LIMITS.patientPages * AREA_RATIO), afterReferences: LIMITS.afterReferences };

describe.each(index)('the printed length of $file', (entry) => {
  test(`at most ${LIMITS.patientPages} patient pages before the references, ${LIMITS.afterReferences} after and ${LIMITS.totalPages} in all (Spanish too); large print within its derived limits`, () => {
    const result = printed.get(entry.file)!;
    const en = result.input.pack.sections.find((s) => s.id === 'references')!.heading;
    const es = loadHandoutPack('es').sections.find((s) => s.id === 'references')!.heading;
    const within = (pages: readonly string[], heading: string, limits: { patientPages: number; afterReferences: number }): void => {
      const start = referencesPage(pages, heading);
      expect(start).toBeGreaterThan(1);
      expect(start - 1).toBeLessThanOrEqual(limits.patientPages);
      expect(pages.length - (start - 1)).toBeLessThanOrEqual(limits.afterReferences);
    };
    within(result.pages, en, LIMITS);
    expect(result.pages.length).toBeLessThanOrEqual(LIMITS.totalPages);
    within(result.spanishPages, es, LIMITS);
    expect(result.spanishPages.length).toBeLessThanOrEqual(LIMITS.totalPages);
    within(result.largePages, en, LARGE_LIMITS);
    expect(result.largePages.length).toBeLessThanOrEqual(LARGE_LIMITS.patientPages + LARGE_LIMITS.afterReferences);
  });

  test('no page or column starts or ends with one line alone of a paragraph (no widows or orphans), in normal and large print and in Spanish', () => {
    const result = printed.get(entry.file)!;
    expect(result.loneLines).toEqual({ normal: [], large: [], spanish: [] });
  });

  test('no page ends with a section heading (headings keep with their text)', () => {
    const result = printed.get(entry.file)!;
    const headings = new Set(result.input.pack.sections.map((s) => normalizeText(s.heading)));
    const endsWithHeading = result.pages.filter((page) => {
      const lines = page.split('\n').map((l) => normalizeText(l)).filter((l) => l !== '' && !/Page \d+ of \d+/.test(l));
      return headings.has(lines.at(-1) ?? '');
    });
    expect(endsWithHeading).toEqual([]);
  });

  test("names the patient's own findings in the tailored paragraphs", () => {
    const result = printed.get(entry.file)!;
    const { pack, activeFlags, flagEvidence } = result.input;
    const withEvidence = visibleSections(pack, activeFlags, result.input.scenario)
      .flatMap((v) => v.blocks)
      .filter((b) => b.type === 'paragraph' && b.text.includes('{evidence}') && b.tailoring !== null);
    for (const block of withEvidence) {
      const names = flagEvidence?.[block.tailoring!] ?? [];
      expect([block.id, names.length > 0]).toEqual([block.id, true]);
      expect(result.html).toContain(escapeHtml(names[0] ?? '(none)'));
    }
    expect(result.html).not.toContain('{evidence}');
  });

  test('prints the clinic, its phone and after-hours number on every page', () => {
    const result = printed.get(entry.file)!;
    for (const page of result.pages) {
      expect(normalizeText(page)).toContain('Sandbox Pain Clinic · 555-0100');
    }
  });
});

test('the baclofen-pump patient gets no trial step and does get the baclofen withdrawal signs, high in the handout', () => {
  const baclofen = printed.get('baclofen-pump.json')!;
  expect(baclofen.input.scenario).toEqual({ indication: 'spasticity', procedure: 'replacement' });
  expect(baclofen.html).not.toContain('data-section="trial"');
  expect(baclofen.pdfBody).not.toContain('The test dose (trial)');
  expect(baclofen.pdfBody).toContain('A Baclofen Pump for Spasticity');
  const firstPage = normalizeText(baclofen.pages[0] ?? '');
  expect(firstPage).toContain('Stopping baclofen fast can cause');
  expect(firstPage).toContain('a high fever');
  expect(baclofen.pdfBody).toContain(normalizeText('The drug in my pump: baclofen'));
  expect(baclofen.pdfBody).toContain('SynchroMed II');
});

test('a first-implant patient gets the trial', () => {
  const first = printed.get('anticoagulant.json')!;
  expect(first.input.scenario).toEqual({ indication: 'non-cancer-pain', procedure: 'first-implant' });
  expect(first.html).toContain('data-section="trial"');
  expect(first.pdfBody).toContain(normalizeText('Before you get a pump, you try the medicine for a short time.'));
  expect(first.pdfBody).toContain(normalizeText('Your record shows you take apixaban'));
});

test('naloxone is in the handout exactly where the combined CNS-depressant rule says so', () => {
  for (const file of ['sleep-apnoea-benzodiazepine.json', 'osa-triple-cns-depressants.json']) {
    expect([file, printed.get(file)!.pdfBody.includes('naloxone')]).toEqual([file, true]);
  }
  for (const file of ['anticoagulant.json', 'arabic-rtl-name.json', 'baclofen-pump.json']) {
    expect([file, printed.get(file)!.pdfBody.includes('naloxone')]).toEqual([file, false]);
  }
});

test('the morphine-allergy and stent patients read their own findings first in the tailored risks', () => {
  expect(printed.get('morphine-allergy.json')!.pdfBody).toContain(normalizeText('Your record shows you are allergic to Morphine'));
  const stent = printed.get('stent-dual-antiplatelet.json')!.pdfBody;
  expect(stent).toContain('ticagrelor');
  expect(stent).toContain('Your pain doctor will talk with your heart doctor');
  expect(plainName('ticagrelor 90 MG Oral Tablet')).toBe('ticagrelor');
});

/**
 * The notice's words that the PDF text lacks. Chinese is compared whole (no spaces; pdftotext breaks its lines
 * anywhere). Arabic is compared word by word: pdftotext gives each line's words in logical order but puts the
 * sentence punctuation of a right-to-left line where its glyphs were, and writes the lam–alef-maksura ligature's
 * letters in glyph order.
 */
function missingWords(text: string, pdfBody: string, language: string): string[] {
  if (language === 'zh') {
    const squeezed = (t: string): string => normalizeText(t).replace(/\s+/g, '');
    return squeezed(pdfBody).includes(squeezed(text)) ? [] : [text];
  }
  const plain = (t: string): string => normalizeText(t).replace(/ىل/g, 'لى');
  const body = plain(pdfBody);
  return plain(text).split(' ').map((w) => w.replace(/[.,،:]/g, '')).filter((w) => w !== '' && !body.includes(w));
}

const UNREVIEWED = { en: 'has not yet been checked by a qualified translator', es: 'un traductor calificado aún no ha revisado' } as const;

test.each([
  ['arabic-rtl-name.json', 'ar', 'en'],
  ['chinese-speaker.json', 'zh', 'en'],
  ['spanish-speaker.json', 'es', 'es'],
] as const)('%s: the PDF prints the language-help notice in the patient\'s language (%s), marked for translator review', (file, language, pack) => {
  const result = printed.get(file)!;
  const notice = loadInterpreterNotices().notices.find((n) => n.language === language)!;
  expect(result.input.pack.language).toBe(pack);
  expect(result.input.languageNotice?.language).toBe(language);
  expect(result.html).toContain(`lang="${language}" dir="${notice.dir}" data-notice="language-help" data-review-status="needs-translator-review">${escapeHtml(notice.text)}</p>`);
  expect(missingWords(notice.text, result.pdfBody, language)).toEqual([]);
  expect(result.pdfBody).toContain(UNREVIEWED[pack]);
});
