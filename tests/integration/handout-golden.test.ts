/**
 * The golden check of the printed handout, for every synthetic patient the sandbox serves: whatever the tailoring,
 * every benefit, risk and piece of advice of the seed page (content/seed-facts.json) is printed — in the HTML and
 * in the text a reader gets out of the PDF — and so are the seed page's five references.
 */
import { buildPatientContext } from '../../server/chart/patient-context';
import { blockSegments, loadSeedFacts } from '../../server/content/content-packs';
import type { Block, HandoutPack } from '../../server/content/content-schema';
import { handoutInputForChart } from '../../server/handout/handout-input';
import { PdfRenderer } from '../../server/handout/pdf';
import { visibleSections } from '../../server/handout/render-blocks';
import type { HandoutRenderInput } from '../../server/handout/render-html';
import { handoutFooterText, handoutHeaderText, renderHandoutHtml } from '../../server/handout/render-html';
import { escapeHtml } from '../../server/http/html';
import { tailor } from '../../server/tailoring/engine';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import { normalizeText, pdfText } from '../support/pdf-text';
import type { SyntheticIndexEntry } from '../support/synthetic-patients';
import { loadSyntheticBundle, sandboxPractitioners, syntheticIndex } from '../support/synthetic-patients';

const NOW = new Date('2026-11-25T12:00:00Z');

type IndexEntry = SyntheticIndexEntry;

interface Printed {
  input: HandoutRenderInput;
  html: string;
  pdfBody: string;
}

const index = syntheticIndex;
const practitioners = sandboxPractitioners();
const printed = new Map<string, Printed>();
let renderer: PdfRenderer;

function inputFor(entry: IndexEntry): HandoutRenderInput {
  const bundle = loadSyntheticBundle(entry.file);
  const launch = { patientId: entry.patientId, encounterId: entry.encounterId, fhirUser: 'Practitioner/itdd-dr-rivera' };
  const context = buildPatientContext(chartReadsFromBundle(bundle, launch, { extraResources: practitioners }), NOW);
  return handoutInputForChart(context, tailor(context), { date: '2026-11-25', printTarget: 'pdf' });
}

async function print(entry: IndexEntry): Promise<void> {
  const input = inputFor(entry);
  const html = renderHandoutHtml(input);
  const { pdf } = await renderer.render(html, {
    headerText: handoutHeaderText(input),
    footerText: handoutFooterText(input.pack, input.clinic),
    language: input.pack.language,
  });
  printed.set(entry.file, { input, html, pdfBody: normalizeText(pdfText(pdf, { bodyOnly: true })) });
}

beforeAll(async () => {
  renderer = await PdfRenderer.start({ size: 2, pagesPerBrowser: 2, renderTimeoutMs: 60_000 });
  await Promise.all(index.map(print));
}, 180_000);

afterAll(async () => {
  await renderer?.close();
});

/** Everything a block prints: its label and text, and for the bibliography each entry it cites. */
function printedTexts(block: Block, pack: HandoutPack): string[] {
  if (block.type !== 'citation-list') {
    return blockSegments(block);
  }
  const cited = pack.citations.filter((c) => block.citationIds.includes(c.id));
  return [...blockSegments(block), ...cited.map((c) => c.text)];
}

function missingFrom(result: Printed, texts: readonly string[], where: string): string[] {
  return texts.flatMap((text) => {
    const problems: string[] = [];
    if (!result.html.includes(escapeHtml(text))) {
      problems.push(`${where}: not in the HTML: "${text}"`);
    }
    if (!result.pdfBody.includes(normalizeText(text))) {
      problems.push(`${where}: not in the PDF text: "${text}"`);
    }
    return problems;
  });
}

describe.each(index)('the handout printed for $file', (entry) => {
  test('covers every seed fact with a printed block whose text is in the HTML and the PDF', () => {
    const result = printed.get(entry.file)!;
    const { pack, activeFlags } = result.input;
    const blocks = visibleSections(pack, activeFlags).flatMap((v) => v.blocks);
    const problems = loadSeedFacts().flatMap((fact) => {
      const covering = blocks.filter((block) => block.seedFacts.includes(fact.id));
      if (covering.length === 0) {
        return [`${fact.id}: no printed block covers it`];
      }
      return covering.flatMap((block) => missingFrom(result, printedTexts(block, pack), `${fact.id} / ${block.id}`));
    });
    expect(problems).toEqual([]);
  });

  test("prints the seed page's five references", () => {
    const result = printed.get(entry.file)!;
    const references = result.input.pack.citations.filter((c) => c.kind === 'reference');
    expect(references.map((c) => c.seedReference).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(missingFrom(result, references.map((c) => c.text), 'reference')).toEqual([]);
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
