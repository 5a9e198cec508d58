/**
 * The tailoring data the app ships: the rule set is sound and fits the handout and checklist packs, and the
 * terminology subset holds verified codes only and is exactly what the extraction script makes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { normaliseCode } from '../../server/chart/chart-codings';
import { loadChecklist, loadHandoutPack } from '../../server/content/content-packs';
import { TAILORING_FLAG_IDS } from '../../server/content/content-schema';
import { loadRules } from '../../server/tailoring/engine';
import { TAILORED_READS, uncheckedFlagOf } from '../../server/tailoring/rule-reads';
import { matchersOf, parseRuleSet } from '../../server/tailoring/rule-set';
import type { RuleSet } from '../../server/tailoring/rules-schema';
import { loadTerminology } from '../../server/tailoring/terminology';

const ROOT = path.resolve(__dirname, '../..');
const SUBSET = path.join(ROOT, 'content/tailoring/terminology-subset.json');

interface SubsetShape {
  conditions: Record<string, { prefixes: string[]; codes: Array<{ code: string }> }>;
  procedures: Record<string, Array<{ code: string }>>;
  mme: { '2022': { factors: Array<{ opioid: string }>; sources: string[] } };
  sources: { verificationRule: string; sourceRepos: Record<string, string> };
  [section: string]: unknown;
}
const subset = JSON.parse(fs.readFileSync(SUBSET, 'utf8')) as SubsetShape;

const rules = loadRules();
const terminology = loadTerminology();
const handout = loadHandoutPack('en');
const checklist = loadChecklist('en');

describe('rules.json', () => {
  test('loads, with a review record and a version', () => {
    expect(rules.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(['draft', 'approved']).toContain(rules.review.status);
  });

  test('every patient rule cites a handout citation and changes a section that has its block', () => {
    const citations = new Set(handout.citations.map((c) => c.id));
    for (const rule of rules.rules.filter((r) => r.audience === 'patient')) {
      expect(citations).toContain(rule.source.id);
      const section = handout.sections.find((s) => s.id === rule.section);
      expect(section?.blocks.some((block) => block.tailoring === rule.handoutFlag)).toBe(true);
    }
  });

  test('a rule citing a handout citation uses its URL', () => {
    const urls = new Map(handout.citations.map((c) => [c.id, c.url]));
    for (const rule of rules.rules.filter((r) => urls.has(r.source.id))) {
      expect(rule.source.url).toBe(urls.get(rule.source.id));
    }
  });

  test('every handout and checklist flag can be raised by some rule (or by a chart read the rules depend on failing)', () => {
    const raised = new Set<string | undefined>([...rules.rules.map((rule) => rule.handoutFlag), ...TAILORED_READS.map(uncheckedFlagOf)]);
    for (const id of TAILORING_FLAG_IDS) {
      expect(raised).toContain(id);
    }
    for (const item of checklist.items) {
      if (item.appliesWhen !== undefined) {
        expect(raised).toContain(item.appliesWhen);
      }
    }
  });

  test('ICD-10-CM and CPT codes named directly in rules are verified codes of the subset', () => {
    const groups = Object.values(subset.conditions);
    const icd = new Set(groups.flatMap((g) => [...g.prefixes, ...g.codes.map((c) => c.code)]).map((c) => normaliseCode(c, 'icd-10-cm')));
    const snomed = new Set(groups.flatMap((g) => g.codes.map((c) => c.code)));
    const cpt = new Set(Object.values(subset.procedures).flat().map((c) => c.code));
    const matchers = [...Object.values(rules.criteria), ...rules.rules.map((rule) => rule.match)].flatMap(matchersOf);
    for (const matcher of matchers) {
      const prefixes = [
        ...('conditionIcd10Prefix' in matcher ? matcher.conditionIcd10Prefix : []),
        ...('condition' in matcher ? (matcher.condition.icd10Prefix ?? []) : []),
      ];
      prefixes.forEach((prefix) => expect(icd).toContain(normaliseCode(prefix, 'icd-10-cm')));
      ('condition' in matcher ? (matcher.condition.snomed ?? []) : []).forEach((code) => expect(snomed).toContain(code));
      ('procedure' in matcher ? (matcher.procedure.cpt ?? []) : []).forEach((code) => expect(cpt).toContain(code));
    }
  });

  test('no bleeding rule gives a number, so no rule can advise a hold time', () => {
    const bleedingRules = rules.rules.filter((rule) => rule.source.id === 'narouze-2018');
    expect(bleedingRules.length).toBeGreaterThanOrEqual(2);
    for (const rule of bleedingRules) {
      expect(`${rule.title} ${rule.reason}`).not.toMatch(/\d/);
    }
  });
});

describe('parseRuleSet refuses an unsound rule set', () => {
  const base = (): RuleSet => structuredClone(rules);
  const problemsOf = (ruleSet: unknown): unknown => {
    try {
      parseRuleSet(ruleSet, terminology);
      return undefined;
    } catch (error) {
      return (error as { details?: { problems?: string[] } }).details?.problems ?? 'schema';
    }
  };

  test('accepts the shipped rules', () => {
    expect(problemsOf(base())).toBeUndefined();
  });

  test('unknown class, condition group, criterion and placeholder are named', () => {
    const broken = base();
    broken.rules[0].match = { any: [{ medicationClass: 'antacid' }, { condition: { group: ['gout'] } }, { criterion: 'nothing' }] };
    broken.rules[1].reason = 'Hello {patientName}';
    expect(problemsOf(broken)).toEqual([
      `rule "${broken.rules[0].id}": unknown medication class "antacid"`,
      `rule "${broken.rules[0].id}": unknown condition group "gout"`,
      `rule "${broken.rules[0].id}": unknown criterion "nothing"`,
      `rule "${broken.rules[1].id}": unknown placeholder {patientName}`,
    ]);
  });

  test('criteria that refer to each other in a loop, and duplicate rule ids', () => {
    const broken = base();
    broken.criteria = { ...broken.criteria, loopA: { all: [{ criterion: 'loopB' }] }, loopB: { any: [{ criterion: 'loopA' }] } };
    broken.rules.push(broken.rules[0]);
    expect(problemsOf(broken)).toEqual(
      expect.arrayContaining([`duplicate rule id "${broken.rules[0].id}"`, 'criterion "loopA" refers to itself', 'criterion "loopB" refers to itself']),
    );
  });

  test('schema errors: a patient rule without a handout flag, an unknown key, a group of only "none"', () => {
    const noFlag = base();
    delete noFlag.rules.find((r) => r.audience === 'patient')!.handoutFlag;
    expect(problemsOf(noFlag)).toBe('schema');
    expect(problemsOf({ ...base(), extra: true })).toBe('schema');
    const onlyNone = base();
    onlyNone.rules[0].match = { none: [{ ageAtLeast: 1 }] };
    expect(problemsOf(onlyNone)).toBe('schema');
  });
});

describe('verified terminology copy (content/terminology/terminology-verified.json)', () => {
  const copy = JSON.parse(fs.readFileSync(path.join(ROOT, 'content/terminology/terminology-verified.json'), 'utf8')) as {
    provenance: Record<string, string>;
    [section: string]: unknown;
  };

  test('says where it came from and when, without machine paths', () => {
    expect(copy.provenance.copiedFrom).toMatch(/research notes/);
    expect(copy.provenance.copiedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(JSON.stringify(copy.provenance)).not.toMatch(/\/(work|tmp|home|Users)\/|\.\.\//);
  });

  test('holds only entries the research marks verified, each with its sources', () => {
    const problems: string[] = [];
    const visit = (value: unknown, where: string): void => {
      if (Array.isArray(value)) {
        value.forEach((item, i) => visit(item, `${where}[${i}]`));
      } else if (value !== null && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        if ('verified' in record && record.verified !== true) {
          problems.push(`${where}: not verified`);
        }
        if ('code' in record && 'system' in record && !Array.isArray(record.sources)) {
          problems.push(`${where}: no sources`);
        }
        Object.entries(record).forEach(([key, item]) => visit(item, `${where}.${key}`));
      }
    };
    for (const section of ['medicationClasses', 'conditions', 'procedures', 'loinc', 'mme']) {
      expect(copy[section]).toBeDefined();
      visit(copy[section], section);
    }
    expect(problems).toEqual([]);
  });
});

describe('terminology subset', () => {

  test('holds verified entries only', () => {
    const unverified: string[] = [];
    const visit = (value: unknown, where: string): void => {
      if (Array.isArray(value)) {
        value.forEach((item, i) => visit(item, `${where}[${i}]`));
      } else if (value !== null && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        if (('code' in record || 'factor' in record) && record.verified !== true) {
          unverified.push(where);
        }
        Object.entries(record).forEach(([key, item]) => visit(item, `${where}.${key}`));
      }
    };
    for (const section of ['medicationClasses', 'conditions', 'procedures', 'loinc', 'mme']) {
      visit(subset[section], section);
    }
    expect(unverified).toEqual([]);
  });

  test('codes the research marks UNVERIFIED are absent', () => {
    const text = fs.readFileSync(SUBSET, 'utf8');
    for (const code of ['"5224"', '"67108"', '"613391"', '"1292"', '"Z45.1"', '"62365"', '"6378"']) {
      expect(text).not.toContain(`"code":${code}`);
    }
    expect(subset.mme['2022'].factors.map((f) => f.opioid)).not.toContain('buprenorphine transdermal');
  });

  test('keeps the sources summary', () => {
    expect(subset.sources.verificationRule).toMatch(/two independent places/);
    expect(Object.keys(subset.sources.sourceRepos).length).toBeGreaterThan(0);
    expect(subset.mme['2022'].sources.length).toBeGreaterThan(0);
  });

  const research = path.join(ROOT, 'content/terminology/terminology-verified.json');
  test('is exactly what scripts/extract-terminology.mjs makes, run after run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'terminology-'));
    const copy = path.join(dir, 'terminology-subset.json');
    const script = path.join(ROOT, 'scripts/extract-terminology.mjs');
    execFileSync(process.execPath, [script, research, copy]);
    const first = fs.readFileSync(copy, 'utf8');
    execFileSync(process.execPath, [script, research, copy]);
    expect(fs.readFileSync(copy, 'utf8')).toBe(first);
    expect(first).toBe(fs.readFileSync(SUBSET, 'utf8'));
    fs.rmSync(dir, { recursive: true });
  });
});
