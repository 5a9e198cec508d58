/**
 * What a printed handout must say about the seed page: for each seed fact (content/seed-facts.json), the text of
 * every block of this handout that covers it. Shared by the golden check of the rendered handout and the
 * end-to-end checks of what the browser prints, so both hold the printout to the same list.
 */
import { blockSegments, loadSeedFacts } from '../../server/content/content-packs';
import type { Block, HandoutPack } from '../../server/content/content-schema';
import { visibleSections } from '../../server/handout/render-blocks';
import type { HandoutRenderInput } from '../../server/handout/render-html';
import { normalizeText } from './pdf-text';

/** Everything a block prints: its label and text, and for the bibliography each entry it cites. */
export function printedTexts(block: Block, pack: HandoutPack): string[] {
  if (block.type !== 'citation-list') {
    return blockSegments(block);
  }
  const cited = pack.citations.filter((c) => block.citationIds.includes(c.id));
  return [...blockSegments(block), ...cited.map((c) => c.text)];
}

export interface SeedFactText {
  /** "fact id / block id": where a missing text comes from. */
  where: string;
  text: string;
}

/**
 * The texts that carry each seed fact in this handout (its visible blocks), and the facts no visible block covers
 * (each one a problem in itself).
 */
export function seedFactTexts(input: Pick<HandoutRenderInput, 'pack' | 'activeFlags'>): { uncovered: string[]; texts: SeedFactText[] } {
  const blocks = visibleSections(input.pack, input.activeFlags).flatMap((v) => v.blocks);
  const uncovered: string[] = [];
  const texts = loadSeedFacts().flatMap((fact) => {
    const covering = blocks.filter((block) => block.seedFacts.includes(fact.id));
    if (covering.length === 0) {
      uncovered.push(`${fact.id}: no printed block covers it`);
    }
    return covering.flatMap((block) => printedTexts(block, input.pack).map((text) => ({ where: `${fact.id} / ${block.id}`, text })));
  });
  return { uncovered, texts };
}

/**
 * The texts missing from text a reader got out of a PDF (already `normalizeText`ed). pdftotext joins a word broken
 * after its hyphen at a line end without the hyphen ("Teach-\nBack" → "TeachBack"), so hyphens are not compared.
 */
export function missingFromPdfText(pdfText: string, texts: readonly SeedFactText[]): string[] {
  const unhyphenated = (t: string): string => t.replace(/-/g, '');
  const printed = unhyphenated(pdfText);
  return texts.filter(({ text }) => !printed.includes(unhyphenated(normalizeText(text)))).map(({ where, text }) => `${where}: not in the PDF text: "${text}"`);
}

/** Every seed fact of this handout that a printout (its normalized PDF text) leaves out, as readable problems. */
export function seedFactsMissingFromPdf(pdfText: string, input: Pick<HandoutRenderInput, 'pack' | 'activeFlags'>): string[] {
  const { uncovered, texts } = seedFactTexts(input);
  return [...uncovered, ...missingFromPdfText(pdfText, texts)];
}
