/**
 * No silent tailoring: every rule in content/tailoring/rules.json knows which chart reads it depends on, and a
 * refused or failed read yields an "unchecked area" naming the read and what was not checked — for every rule and
 * every read it depends on, and never for a read it does not depend on. The table below is written from what each
 * rule matches (criteria followed, `none` included), so a rule whose dependencies change must be looked at again.
 */
import type { ReadState } from '../../server/chart/patient-context';
import type { ChartReadName } from '../../server/chart/read-chart';
import { isAreaConfirmed, unconfirmedAreas, validateForAttestation } from '../../server/consent/checklist-model';
import { activeChecklistFlags } from '../../server/consent/discussion';
import { uncheckedAreaLines } from '../../server/consent/note-input';
import { loadChecklist } from '../../server/content/content-packs';
import { UNCHECKED_AREA_FLAG_IDS } from '../../server/content/content-schema';
import { renderDiscussionNote } from '../../fhir-resources/discussion-note';
import { loadRules, tailor } from '../../server/tailoring/engine';
import { readsOfRule, TAILORED_READS, uncheckedAreasOf } from '../../server/tailoring/rule-reads';
import type { TailoredRead } from '../../server/tailoring/types';
import { condition, coding, emptyContext, hba1c } from '../support/chart-facts-builder';
import { exampleDiscussionNoteInput } from '../support/example-discussion';

const MEDS: TailoredRead[] = ['medicationRequests', 'medicationStatements'];

/** What each rule matches, read off rules.json by hand. */
const DEPENDS_ON: Readonly<Record<string, readonly TailoredRead[]>> = {
  'antithrombotic-bleeding-risk': ['conditions', ...MEDS],
  'antithrombotic-periprocedural-plan': ['conditions', ...MEDS],
  'bleeding-disorder': ['conditions'],
  'diabetes-infection-risk': ['conditions', 'observations'],
  'immunosuppression-infection-risk': ['conditions', ...MEDS],
  'active-infection-risk': ['conditions'],
  'active-infection-defer-implant': ['conditions'],
  // Raised unless combined sedation (conditions and medications) is: that exclusion is a dependency too.
  'respiratory-disease-breathing-risk': ['conditions', ...MEDS],
  'respiratory-monitoring': ['conditions', ...MEDS],
  'sedative-breathing-risk': ['conditions', ...MEDS],
  'sedative-minimise': ['conditions', ...MEDS],
  'ziconotide-psychosis-contraindication': ['conditions', ...MEDS],
  'psychosis-ziconotide-contraindicated': ['conditions', ...MEDS],
  'ziconotide-age-confusion': ['patient', ...MEDS],
  'intrathecal-baclofen-withdrawal': [...MEDS],
  'existing-pump': ['conditions', 'procedures', 'devices'],
  'existing-pump-mri': ['conditions', 'procedures', 'devices'],
  'pump-model-mri-labelling': ['devices'],
  'prometra-mri-empty-pump': ['devices'],
  'cancer-pain': ['conditions'],
  'non-cancer-pain': ['conditions'],
  'pump-drug-allergy': ['allergies'],
  'combined-cns-depressants': ['conditions', ...MEDS],
  'antiplatelet-coronary-stent': ['conditions', ...MEDS, 'devices'],
  'morbid-obesity-pocket': ['conditions', 'observations'],
  'spasticity-indication': ['conditions', ...MEDS],
};

const rules = loadRules();
const LABEL: Readonly<Record<TailoredRead, string>> = {
  patient: 'Patient details',
  conditions: 'Conditions',
  medicationRequests: 'Medications',
  medicationStatements: 'Medication history',
  allergies: 'Allergies',
  observations: 'Lab results and pain scores',
  procedures: 'Procedures',
  devices: 'Devices',
};

function withRead(read: ChartReadName, state: ReadState): ReturnType<typeof emptyContext> {
  const context = emptyContext();
  context.reads[read] = state;
  return context;
}

const FAILED: ReadState = { state: 'failed', reason: 'the EHR answered 500' };

test('the table covers every rule of rules.json, and the derivation agrees with it', () => {
  expect(rules.rules.map((rule) => rule.id).sort()).toEqual(Object.keys(DEPENDS_ON).sort());
  for (const rule of rules.rules) {
    expect([rule.id, [...readsOfRule(rule, rules.criteria)].sort()]).toEqual([rule.id, [...(DEPENDS_ON[rule.id] ?? [])].sort()]);
  }
});

describe.each(rules.rules.map((rule) => [rule.id, rule] as const))('rule %s', (id, rule) => {
  const dependsOn = DEPENDS_ON[id] ?? [];
  const unrelated = TAILORED_READS.filter((read) => !dependsOn.includes(read));

  test.each(dependsOn.map((read) => [read]))('a failed %s read leaves it unchecked, named with what it checks', (read) => {
    const areas = tailor(withRead(read, FAILED)).uncheckedAreas;
    expect(areas.map((area) => area.read)).toEqual([read]);
    const [area] = areas;
    expect(area?.rules).toContain(id);
    expect(area?.checks).toContain(rule.checks);
    expect(area?.text.startsWith(`${LABEL[read]} could not be read: `)).toBe(true);
    expect(area?.text).toContain(rule.checks);
    expect(area?.text.endsWith(' not checked from the chart.')).toBe(true);
  });

  if (unrelated.length > 0) {
    test.each(unrelated.map((read) => [read]))('a failed %s read does not leave it unchecked', (read) => {
      const areas = tailor(withRead(read, FAILED)).uncheckedAreas;
      expect(areas.flatMap((area) => area.rules)).not.toContain(id);
    });
  }
});

describe('unchecked areas', () => {
  test('the diabetic patient with Condition and Observation reads failing: infection and bleeding risks are named', () => {
    const context = emptyContext({ latestHbA1c: undefined });
    context.reads.conditions = FAILED;
    context.reads.observations = FAILED;
    const result = tailor(context);
    expect(result.flags.map((flag) => flag.id)).not.toContain('diabetes-infection-risk');
    expect(result.uncheckedAreas.map((area) => [area.read, area.flag, area.state])).toEqual([
      ['conditions', 'unchecked-conditions', 'failed'],
      ['observations', 'unchecked-observations', 'failed'],
    ]);
    const [conditions, observations] = result.uncheckedAreas;
    expect(conditions?.checks).toEqual(expect.arrayContaining(['bleeding risk', 'infection risk']));
    expect(conditions?.text).toMatch(/^Conditions could not be read: bleeding risk, .*infection risk.* were not checked from the chart\.$/);
    expect(observations?.text).toBe('Lab results and pain scores could not be read: infection risk and pump pocket depth (BMI) were not checked from the chart.');
  });

  test('a refused read says so; what rules share is said once', () => {
    const [area] = tailor(withRead('allergies', { state: 'not-authorized' })).uncheckedAreas;
    expect(area?.text).toBe('Allergies could not be read (the app is not authorized to read them): pump drug allergy was not checked from the chart.');
    const [devices] = tailor(withRead('devices', FAILED)).uncheckedAreas;
    expect(devices?.checks.filter((check) => check === 'MRI safety of an existing pump')).toHaveLength(1);
  });

  test('reads no rule depends on, reads not in context and reads that succeeded leave nothing unchecked', () => {
    expect(tailor(withRead('encounter', FAILED)).uncheckedAreas).toEqual([]);
    expect(tailor(withRead('practitioner', { state: 'not-authorized' })).uncheckedAreas).toEqual([]);
    expect(tailor(withRead('conditions', { state: 'not-in-context' })).uncheckedAreas).toEqual([]);
    expect(tailor(emptyContext()).uncheckedAreas).toEqual([]);
  });

  test('a read that failed does not hide flags raised from the reads that succeeded', () => {
    const context = emptyContext({
      conditions: [condition('dm', 'Type 2 diabetes mellitus', [coding('icd', 'E11.9', 'Type 2 diabetes mellitus')])],
      latestHbA1c: hba1c(8.1),
    });
    context.reads.observations = FAILED;
    const result = tailor(context);
    expect(result.flags.map((flag) => flag.id)).toContain('diabetes-infection-risk');
    expect(result.uncheckedAreas.map((area) => area.read)).toEqual(['observations']);
  });

  test('uncheckedAreasOf takes the rule set it is given', () => {
    const only = { ...rules, rules: rules.rules.filter((rule) => rule.id === 'pump-drug-allergy') };
    expect(uncheckedAreasOf(withRead('conditions', FAILED), only)).toEqual([]);
    expect(uncheckedAreasOf(withRead('allergies', FAILED), only).map((area) => area.rules)).toEqual([['pump-drug-allergy']]);
  });
});

describe('confirming an unchecked area', () => {
  const checklist = loadChecklist('en');

  test('every tailored read has its own pseudo-flag, and each brings in one required confirmation in the checklist', () => {
    const flags = TAILORED_READS.map((read) => tailor(withRead(read, FAILED)).uncheckedAreas[0]?.flag);
    expect([...flags].sort()).toEqual([...UNCHECKED_AREA_FLAG_IDS].sort());
    for (const flag of UNCHECKED_AREA_FLAG_IDS) {
      const items = checklist.items.filter((item) => item.appliesWhen === flag);
      expect([flag, items.map((item) => [item.kind, item.required])]).toEqual([flag, [['confirm', true]]]);
    }
  });

  test('the checklist asks for it, attestation needs it, and the note says whether it was given', () => {
    const [area] = tailor(withRead('conditions', FAILED)).uncheckedAreas;
    if (area === undefined) {
      throw new Error('expected an unchecked area');
    }
    const flags = activeChecklistFlags({ flagsShown: [], dismissedFlags: [], uncheckedAreas: [area] });
    expect(flags).toEqual(['unchecked-conditions']);
    const item = checklist.items.find((i) => i.appliesWhen === 'unchecked-conditions')!;
    const check = validateForAttestation(checklist, {}, flags);
    expect(check.ok === false && check.missing.map((m) => m.id)).toContain(item.id);
    expect(isAreaConfirmed(checklist, {}, area.flag)).toBe(false);
    expect(isAreaConfirmed(checklist, { [item.id]: { value: false } }, area.flag)).toBe(false);
    expect(isAreaConfirmed(checklist, { [item.id]: { value: true } }, area.flag)).toBe(true);
    expect(unconfirmedAreas(checklist, {}, [area])).toEqual([area]);
    expect(unconfirmedAreas(checklist, { [item.id]: { value: true } }, [area])).toEqual([]);
    // A pseudo-flag no checklist item confirms can never be confirmed: attestation stays refused.
    expect(unconfirmedAreas({ ...checklist, items: checklist.items.filter((i) => i.id !== item.id) }, { [item.id]: { value: true } }, [area])).toEqual([area]);

    const record = { uncheckedAreas: [area], answers: { [item.id]: { value: true } } };
    const note = renderDiscussionNote({ ...exampleDiscussionNoteInput(), uncheckedAreas: uncheckedAreaLines(checklist, record) });
    expect(note).toContain(`NOT CHECKED FROM THE CHART\n- ${area.text}\n  Reviewed in the chart by the clinician: yes\n`);
    const unreviewed = renderDiscussionNote({ ...exampleDiscussionNoteInput(), uncheckedAreas: uncheckedAreaLines(checklist, { ...record, answers: {} }) });
    expect(unreviewed).toContain('  Reviewed in the chart by the clinician: no\n');
  });

  test('a note with every read answered has no such section', () => {
    expect(renderDiscussionNote(exampleDiscussionNoteInput())).not.toContain('NOT CHECKED FROM THE CHART');
  });
});
