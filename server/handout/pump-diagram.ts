/**
 * The handout's one diagram: where the pump and its catheter sit. Drawn here as inline SVG (no file, no URL: the PDF
 * renderer loads nothing), in black and one blue so it survives a black-and-white copy. The three labels come from
 * the content pack in the patient's language and are escaped like all text.
 *
 * The picture: a person's torso from the front, the pump a disc under the skin of the lower belly, the thin tube
 * running round the side to the spine, and into the fluid space around the spinal cord.
 */
import type { SafeHtml } from '../http/html';
import { html } from '../http/html';

export interface DiagramLabels {
  pump: string;
  catheter: string;
  spine: string;
}

export function pumpDiagramSvg(labels: DiagramLabels): SafeHtml {
  const vertebrae = [0, 1, 2, 3, 4, 5, 6, 7].map(
    (i) => html`<rect x="196" y="${String(40 + i * 26)}" width="28" height="20" rx="4" fill="#fff" stroke="#000" stroke-width="2"/>`,
  );
  return html`<svg class="pump-diagram" role="img" aria-label="${labels.pump}, ${labels.catheter}, ${labels.spine}" viewBox="0 0 420 270">
<path d="M120 20 C 110 90, 100 160, 115 255 L 305 255 C 320 160, 310 90, 300 20 Z" fill="#f4f4f4" stroke="#000" stroke-width="2"/>
<rect x="190" y="30" width="40" height="225" fill="#eef4fb" stroke="#1d4e89" stroke-width="1.5" stroke-dasharray="4 3"/>
${vertebrae}
<path d="M150 205 C 125 190, 150 150, 186 150 L 210 150 L 210 120" fill="none" stroke="#1d4e89" stroke-width="4" stroke-linecap="round"/>
<circle cx="150" cy="215" r="24" fill="#1d4e89" stroke="#000" stroke-width="2"/>
<circle cx="150" cy="215" r="8" fill="#fff"/>
<line x1="126" y1="222" x2="60" y2="238" stroke="#000" stroke-width="1.5"/>
<text x="8" y="252" font-size="15" font-weight="700">${labels.pump}</text>
<line x1="160" y1="160" x2="70" y2="120" stroke="#000" stroke-width="1.5"/>
<text x="8" y="112" font-size="15" font-weight="700">${labels.catheter}</text>
<line x1="226" y1="80" x2="300" y2="70" stroke="#000" stroke-width="1.5"/>
<text x="304" y="74" font-size="15" font-weight="700">${labels.spine}</text>
</svg>`;
}
