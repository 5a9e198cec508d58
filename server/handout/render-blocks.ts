/**
 * Content-pack blocks and sections to HTML. Pack text is reviewed data, but it is still escaped like everything
 * else (the `html` template escapes every value): one rule, no exceptions to remember.
 *
 * Tailoring: a block with `tailoring: <flag>` is printed only when that flag is active, and a block with `appliesTo`
 * only for its indication / procedure (the scenario); a section left with no block is not printed at all (no empty
 * heading). `clinicianNote` is never printed — it is for the clinician's screen only. A tailored paragraph's
 * `{evidence}` becomes the patient's own chart findings that raised its flag (chart text: escaped and bounded).
 */
import type { SafeHtml } from '../http/html';
import { html } from '../http/html';
import type { Block, Citation, HandoutPack, Section } from '../content/content-schema';
import type { TailoringFlagId } from '../content/content-schema';
import type { Scenario } from '../content/scenario';
import { appliesToScenario, scenarioFromFlags } from '../content/scenario';
import { pumpDiagramSvg } from './pump-diagram';

export interface VisibleSection {
  section: Section;
  blocks: Block[];
}

/** What the renderer fills in from the chart and the configuration. Every string is chart or config text: escaped. */
export interface BlockContext {
  citations: ReadonlyMap<string, Citation>;
  /** Plain names of the chart findings behind each flag ("apixaban", "Obstructive sleep apnea"). */
  evidence: Partial<Record<TailoringFlagId, readonly string[]>>;
  /** Values for fill-in fields the chart or configuration knows. */
  known: Partial<Record<'pump-drug' | 'pump-model' | 'clinic-phone' | 'after-hours-phone', string>>;
  /** "and 2 more", "something in your health record", in the pack's language. */
  words: { and: string; more: (count: number) => string; fallback: string };
}

/** The sections and blocks this patient's copy prints, in pack order. */
export function visibleSections(pack: HandoutPack, activeFlags: Iterable<TailoringFlagId>, scenario?: Scenario): VisibleSection[] {
  const active = new Set(activeFlags);
  const chosen = scenario ?? scenarioFromFlags(active);
  return pack.sections
    .map((section) => ({
      section,
      blocks: section.blocks.filter(
        (block) => (block.tailoring === null || active.has(block.tailoring)) && appliesToScenario(block.appliesTo, chosen),
      ),
    }))
    .filter((visible) => visible.blocks.length > 0);
}

/** How many findings a paragraph names before "and N more". */
const NAMED = 3;
const NAME_MAX = 60;

/** "apixaban, clopidogrel and aspirin" — bounded in number and length. */
export function namedFindings(names: readonly string[] | undefined, words: BlockContext['words']): string {
  const unique = [...new Set((names ?? []).map((n) => (n.length > NAME_MAX ? `${n.slice(0, NAME_MAX - 1)}…` : n)).filter((n) => n !== ''))];
  if (unique.length === 0) {
    return words.fallback;
  }
  const shown = unique.slice(0, NAMED);
  const rest = unique.length - shown.length;
  if (rest > 0) {
    return `${shown.join(', ')} ${words.and} ${words.more(rest)}`;
  }
  return shown.length === 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} ${words.and} ${shown.at(-1) ?? ''}`;
}

function boxClass(block: Block): string {
  return block.style === 'normal' ? 'block' : `block box ${block.style}`;
}

function leadIn(label: string | undefined): SafeHtml {
  return label === undefined ? html`` : html`<p class="lead">${label}</p>`;
}

function renderList(block: Extract<Block, { type: 'list' }>): SafeHtml {
  const items = block.items.map((item) => html`<li>${item}</li>`);
  return block.ordered ? html`<ol>${items}</ol>` : html`<ul>${items}</ul>`;
}

/** Write-in lines: the label, then the value the chart knows, or a rule long enough to write it by hand. */
function renderFillIn(block: Extract<Block, { type: 'fill-in' }>, ctx: BlockContext): SafeHtml {
  const fields = block.fields.map((field) => {
    const value = field.chart === undefined ? undefined : ctx.known[field.chart];
    return value === undefined
      ? html`<div class="field"><span class="field-label">${field.label}:</span><span class="field-line" aria-hidden="true"></span></div>`
      : html`<div class="field"><span class="field-label">${field.label}:</span><span class="field-value"><bdi dir="auto">${value}</bdi></span></div>`;
  });
  return html`<div class="fill-in">${fields}</div>`;
}

/** The bibliography. A URL is printed as text for the reader to type, never as a link the renderer could fetch. */
function renderCitations(block: Extract<Block, { type: 'citation-list' }>, citations: ReadonlyMap<string, Citation>): SafeHtml {
  const entries = block.citationIds
    .map((id) => citations.get(id))
    .filter((citation): citation is Citation => citation !== undefined)
    .map((citation) => html`<li>${citation.text}${citation.url === undefined ? '' : html` <span class="url">${citation.url}</span>`}</li>`);
  return html`<ol class="citations">${entries}</ol>`;
}

/** A paragraph's text with `{evidence}` replaced by the (escaped) chart findings behind its flag. */
function paragraphText(block: Extract<Block, { type: 'paragraph' }>, ctx: BlockContext): SafeHtml {
  const parts = block.text.split('{evidence}');
  if (parts.length === 1) {
    return html`${block.text}`;
  }
  const findings = namedFindings(block.tailoring === null ? undefined : ctx.evidence[block.tailoring], ctx.words);
  return html`${parts.map((part, index) => (index === 0 ? html`${part}` : html`<strong class="finding"><bdi dir="auto">${findings}</bdi></strong>${part}`))}`;
}

function renderBlockBody(block: Block, ctx: BlockContext): SafeHtml {
  switch (block.type) {
    case 'paragraph':
      return html`<p>${paragraphText(block, ctx)}</p>`;
    case 'list':
      return html`${leadIn(block.label)}${renderList(block)}`;
    case 'fill-in':
      return html`${leadIn(block.label)}${renderFillIn(block, ctx)}`;
    case 'diagram':
      return html`<figure class="diagram">${pumpDiagramSvg(block.parts)}<figcaption>${block.text}</figcaption></figure>`;
    case 'citation-list':
      return html`${leadIn(block.label)}${renderCitations(block, ctx.citations)}`;
  }
}

/** A paragraph's label is a small heading (screen readers and the tagged PDF list it); a list's is its lead-in. */
export function renderBlock(block: Block, ctx: BlockContext): SafeHtml {
  const heading = block.type === 'paragraph' && block.label !== undefined ? html`<h3>${block.label}</h3>` : html``;
  return html`<div class="${boxClass(block)}" data-block="${block.id}">${heading}${renderBlockBody(block, ctx)}</div>`;
}

/** The heading is kept with the first block (one unbreakable unit), so a heading never ends a page. */
export function renderSection(visible: VisibleSection, ctx: BlockContext): SafeHtml {
  const { section, blocks } = visible;
  const headingId = `h-${section.id}`;
  const [first, ...rest] = blocks;
  return html`<section aria-labelledby="${headingId}" data-section="${section.id}">
<div class="keep"><h2 id="${headingId}">${section.heading}</h2>
${first === undefined ? '' : renderBlock(first, ctx)}</div>
${rest.map((block) => renderBlock(block, ctx))}
</section>
`;
}
