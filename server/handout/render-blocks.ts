/**
 * Content-pack blocks and sections to HTML. Pack text is reviewed data, but it is still escaped like everything
 * else (the `html` template escapes every value): one rule, no exceptions to remember.
 *
 * Tailoring: a block with `tailoring: <flag>` is printed only when that flag is active; a section left with no
 * block is not printed at all (no empty heading). `clinicianNote` is never printed — it is for the clinician's
 * screen only.
 */
import type { SafeHtml } from '../http/html';
import { html } from '../http/html';
import type { Block, Citation, HandoutPack, Section } from '../content/content-schema';
import type { TailoringFlagId } from '../content/content-schema';

export interface VisibleSection {
  section: Section;
  blocks: Block[];
}

/** The sections and blocks this patient's copy prints, in pack order. */
export function visibleSections(pack: HandoutPack, activeFlags: Iterable<TailoringFlagId>): VisibleSection[] {
  const active = new Set(activeFlags);
  return pack.sections
    .map((section) => ({
      section,
      blocks: section.blocks.filter((block) => block.tailoring === null || active.has(block.tailoring)),
    }))
    .filter((visible) => visible.blocks.length > 0);
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

/** Write-in lines: the label, then a rule long enough to write a phone number or a drug name by hand. */
function renderFillIn(block: Extract<Block, { type: 'fill-in' }>): SafeHtml {
  const fields = block.fields.map(
    (field) =>
      html`<div class="field"><span class="field-label">${field.label}</span><span class="field-line" aria-hidden="true"></span></div>`,
  );
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

function renderBlockBody(block: Block, citations: ReadonlyMap<string, Citation>): SafeHtml {
  switch (block.type) {
    case 'paragraph':
      return html`<p>${block.text}</p>`;
    case 'list':
      return html`${leadIn(block.label)}${renderList(block)}`;
    case 'fill-in':
      return html`${leadIn(block.label)}${renderFillIn(block)}`;
    case 'citation-list':
      return html`${leadIn(block.label)}${renderCitations(block, citations)}`;
  }
}

/** A paragraph's label is a small heading (screen readers and the tagged PDF list it); a list's is its lead-in. */
export function renderBlock(block: Block, citations: ReadonlyMap<string, Citation>): SafeHtml {
  const heading = block.type === 'paragraph' && block.label !== undefined ? html`<h3>${block.label}</h3>` : html``;
  return html`<div class="${boxClass(block)}" data-block="${block.id}">${heading}${renderBlockBody(block, citations)}</div>`;
}

export function renderSection(visible: VisibleSection, citations: ReadonlyMap<string, Citation>): SafeHtml {
  const { section, blocks } = visible;
  const headingId = `h-${section.id}`;
  return html`<section aria-labelledby="${headingId}" data-section="${section.id}">
<h2 id="${headingId}">${section.heading}</h2>
${blocks.map((block) => renderBlock(block, citations))}
</section>
`;
}
