/**
 * Whether a citation can be found again by a reader: a DOI or a PubMed id (PMID, or a PubMed Central id) for a
 * published article or guideline, or — for what is not published in a journal (a device manual, a drug label, a
 * regulation, a toolkit) — an https address on the issuer's own site. Mirror copies do not count. Pure.
 *
 * A pack approved for patients may cite only what resolves (`handoutPackSchema`, `checklistSchema`); a draft pack
 * may carry citations still waiting for their identifier, which the content reviewer completes or removes before
 * approving it (the handout tab shows the pack as a draft meanwhile, and production refuses to print it).
 */

/** `10.<registrant>/<suffix>`, as Crossref defines a DOI. */
const DOI = /\b(10\.\d{4,9}\/[^\s"<>]+?)(?=[.,;)]?(?:\s|$))/i;
const PMID = /\bPMID:?\s*(\d{6,9})\b/;
const PMC = /\bPMC(\d{5,9})\b/;

/** Issuers whose own sites serve the document (not mirrors or reposts). */
const OFFICIAL_HOSTS = [
  'doi.org', 'pubmed.ncbi.nlm.nih.gov', 'www.ncbi.nlm.nih.gov', 'www.cdc.gov', 'www.fda.gov', 'dailymed.nlm.nih.gov', 'www.tga.gov.au',
  'www.cms.gov', 'www.hhs.gov', 'www.federalregister.gov', 'www.ecfr.gov', 'www.ahrq.gov', 'www.jointcommission.org',
  'www.medtronic.com', 'professional.medtronic.com', 'manuals.medtronic.com', 'flowonix.com', 'www.lioresal.com', 'www.prialt.com', 'build.fhir.org', 'hl7.org',
] as const;

/** Kinds that are published articles or guidelines: they resolve by DOI or PMID only. */
const ARTICLE_KINDS: ReadonlySet<string> = new Set(['reference', 'study', 'guideline']);

export interface CitableSource {
  id: string;
  kind: string;
  text: string;
  url?: string;
}

export type CitationIdentifier = { type: 'doi' | 'pmid' | 'pmc' | 'official-url'; value: string };

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** The identifier a reader can resolve the citation by, or undefined when it has none. */
export function identifierOf(citation: CitableSource): CitationIdentifier | undefined {
  const both = `${citation.text} ${citation.url ?? ''}`;
  const doi = DOI.exec(citation.url?.startsWith('https://doi.org/') === true ? citation.url.slice('https://doi.org/'.length) : both)?.[1];
  if (doi !== undefined) {
    return { type: 'doi', value: doi };
  }
  const pmid = PMID.exec(both)?.[1] ?? (citation.url === undefined ? undefined : /pubmed\.ncbi\.nlm\.nih\.gov\/(\d{6,9})/.exec(citation.url)?.[1]);
  if (pmid !== undefined) {
    return { type: 'pmid', value: pmid };
  }
  const pmc = PMC.exec(both)?.[1];
  if (pmc !== undefined) {
    return { type: 'pmc', value: `PMC${pmc}` };
  }
  const host = citation.url === undefined ? undefined : hostOf(citation.url);
  if (!ARTICLE_KINDS.has(citation.kind) && host !== undefined && (OFFICIAL_HOSTS as readonly string[]).includes(host)) {
    return { type: 'official-url', value: citation.url as string };
  }
  return undefined;
}

/**
 * The ids of the citations that cannot be resolved. The seed page is left out: it is the project's own source
 * document, kept with it, and the facts it gives are cited to its five references.
 */
export function unresolvableCitations(citations: readonly CitableSource[]): string[] {
  return citations.filter((c) => c.kind !== 'seed' && identifierOf(c) === undefined).map((c) => c.id);
}

/** The refusal of an approved pack that still cites what cannot be resolved (empty for a draft or a sound pack). */
export function approvalCitationProblems(pack: { review: { status: string }; citations: readonly CitableSource[] }): string[] {
  if (pack.review.status !== 'approved') {
    return [];
  }
  return unresolvableCitations(pack.citations).map((id) => `approved pack cites "${id}" with no DOI, PMID or official address: complete it or remove it`);
}
