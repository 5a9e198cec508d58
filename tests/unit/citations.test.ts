/**
 * Every claim in every content pack rests on a citation the pack holds, and a citation a reader cannot find again —
 * no DOI, no PubMed id, no address on the issuer's own site — never reaches an approved pack: the reviewer completes
 * it or removes it before approval (the packs are drafts until then, and production prints no draft).
 */
import fs from 'node:fs';
import path from 'node:path';
import { approvalCitationProblems, identifierOf, unresolvableCitations } from '../../server/content/citation-identifiers';
import { checklistSchema } from '../../server/content/checklist-schema';
import { contentDir, handoutPackPath, listHandoutPacks, loadChecklist, loadHandoutPack } from '../../server/content/content-packs';
import { handoutPackSchema } from '../../server/content/content-schema';

const handouts = listHandoutPacks().map((summary) => loadHandoutPack(summary.language));
const checklist = loadChecklist('en');
const packs = [...handouts.map((pack) => ({ name: `handout ${pack.language}`, pack })), { name: 'checklist en', pack: checklist }];

describe.each(packs)('$name', ({ pack }) => {
  test("every claim's source id resolves to a citation of the pack", () => {
    const ids = new Set(pack.citations.map((c) => c.id));
    const claims: Array<{ where: string; source: string }> = 'sections' in pack
      ? [
          ...pack.sections.flatMap((s) => s.blocks.flatMap((b) => [...b.sources, ...(b.type === 'citation-list' ? b.citationIds : [])].map((source) => ({ where: `${s.id}/${b.id}`, source })))),
          ...pack.notices.flatMap((n) => n.sources.map((source) => ({ where: `notice ${n.id}`, source }))),
        ]
      : pack.items.flatMap((item) => item.sources.map((source) => ({ where: `item ${item.id}`, source })));
    expect(claims.length).toBeGreaterThan(0);
    expect(claims.filter((c) => !ids.has(c.source))).toEqual([]);
  });

  test('every identifier a citation gives is well formed, and its address, if any, leads to it', () => {
    for (const citation of pack.citations) {
      const id = identifierOf(citation);
      if (id?.type === 'doi') {
        expect([citation.id, id.value]).toEqual([citation.id, expect.stringMatching(/^10\.\d{4,9}\/\S+$/)]);
        expect([citation.id, citation.url]).toEqual([citation.id, `https://doi.org/${id.value}`]);
      }
      if (id?.type === 'pmid') {
        expect(id.value).toMatch(/^\d{6,9}$/);
      }
    }
  });

  test('the pack is a draft for as long as any citation cannot be resolved (approval requires every one to resolve)', () => {
    const pending = unresolvableCitations(pack.citations);
    if (pending.length > 0) {
      expect(pack.review.status).toBe('draft');
    }
    expect(approvalCitationProblems(pack)).toEqual([]);
  });
});

test('the CDC 2022 opioid guideline, cited for naloxone, carries its DOI', () => {
  for (const { pack } of packs) {
    const cdc = pack.citations.find((c) => c.id === 'cdc-2022-opioids');
    expect(cdc === undefined ? undefined : identifierOf(cdc)).toEqual({ type: 'doi', value: '10.15585/mmwr.rr7103a1' });
  }
});

test('approving a pack with a citation that cannot be resolved is refused, naming it', () => {
  const raw = JSON.parse(fs.readFileSync(handoutPackPath('en'), 'utf8')) as Record<string, unknown> & { citations: Array<Record<string, unknown>> };
  const approved = { ...raw, review: { status: 'approved', reviewedBy: 'Content Reviewer, RN', reviewedAt: '2026-12-01', note: 'test' } };
  const result = handoutPackSchema.safeParse(approved);
  const pending = unresolvableCitations(loadHandoutPack('en').citations);
  expect(pending.length).toBeGreaterThan(0);
  expect(result.success).toBe(false);
  expect(result.error?.issues.map((i) => i.message)).toEqual(expect.arrayContaining([expect.stringContaining(`"${pending[0]}"`)]));
  // With only resolvable citations left (and the blocks citing nothing else), approval passes the citation check.
  const resolvable = raw.citations.filter((c) => !pending.includes(String(c.id)));
  const problems = approvalCitationProblems({ review: { status: 'approved' }, citations: resolvable as never });
  expect(problems).toEqual([]);
  const checklistRaw = JSON.parse(fs.readFileSync(path.join(contentDir(), 'checklist', 'itdd-consent-checklist.en.json'), 'utf8')) as Record<string, unknown>;
  expect(checklistSchema.safeParse({ ...checklistRaw, review: approved.review }).success).toBe(false);
});

test('identifiers: DOI, PMID, PubMed Central, official addresses; mirrors and bare article text do not count', () => {
  expect(identifierOf({ id: 'a', kind: 'study', text: 'X. J. 2013. doi:10.1038/sc.2013.43.', url: 'https://doi.org/10.1038/sc.2013.43' })).toEqual({ type: 'doi', value: '10.1038/sc.2013.43' });
  expect(identifierOf({ id: 'b', kind: 'study', text: 'X. J. 1990;72:200. PMID: 2404089' })).toEqual({ type: 'pmid', value: '2404089' });
  expect(identifierOf({ id: 'c', kind: 'guideline', text: 'Pain Med. 2019. PubMed Central PMC6442748.' })).toEqual({ type: 'pmc', value: 'PMC6442748' });
  expect(identifierOf({ id: 'd', kind: 'toolkit', text: 'AHRQ toolkit', url: 'https://www.ahrq.gov/health-literacy/x.html' })).toEqual({ type: 'official-url', value: 'https://www.ahrq.gov/health-literacy/x.html' });
  expect(identifierOf({ id: 'e', kind: 'manufacturer', text: 'Manual', url: 'https://www.studyres.com/doc/1731094' })).toBeUndefined();
  expect(identifierOf({ id: 'f', kind: 'study', text: 'An article with a journal page only', url: 'https://www.medtronic.com/x' })).toBeUndefined();
  expect(identifierOf({ id: 'g', kind: 'study', text: 'Follett KA, et al. Anesthesiology. 2004;100:1582.' })).toBeUndefined();
});

test('no travel, airport or diathermy advice without a source that gives it (none in the packs does)', () => {
  for (const pack of handouts) {
    const text = JSON.stringify(pack.sections).toLowerCase();
    expect([pack.language, /airport|aeropuerto|diathermy|diatermia/.test(text)]).toEqual([pack.language, false]);
  }
});
