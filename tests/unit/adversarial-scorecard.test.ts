import { createRequire } from 'node:module';

/** The scorecard's tally: what the reviewer reads at the end of every test run. */
const scorecard = createRequire(__filename)('../support/adversarial-scorecard.cjs') as {
  tally(files: unknown[], options: { wholeFolder: boolean; notApplicable: Set<string> }): { passed: number; failed: string[]; uncovered: string[]; notApplicable: string[]; untitled: string[] };
  describeTally(result: unknown): string;
  notApplicableIds(doc: string): Set<string>;
  catalogueIds(): string[];
};

function file(name: string, tests: Array<[string, string, string[]?]>): unknown {
  return {
    testFilePath: `/repo/tests/adversarial/${name}`,
    testResults: tests.map(([title, status, ancestorTitles]) => ({ title, status, ancestorTitles: ancestorTitles ?? [], fullName: title })),
  };
}

test('a case passes only when every one of its tests passed; a skipped test fails the case', () => {
  const result = scorecard.tally(
    [file('a.test.ts', [['A1: one', 'passed'], ['A1: two', 'failed'], ['A2: only', 'passed'], ['A3: skipped', 'pending']])],
    { wholeFolder: false, notApplicable: new Set() },
  );
  expect(result.passed).toBe(1);
  expect(result.failed).toEqual(['A1', 'A3']);
  expect(scorecard.describeTally(result)).toBe('adversarial: 1 passed, 2 failed\nadversarial failures: A1 A3');
});

test('the id may sit on a describe block, and X findings count like catalogue cases', () => {
  const result = scorecard.tally([file('x.test.ts', [['serves no map', 'passed', ['X8: source maps']], ['X12: limits', 'passed']])], {
    wholeFolder: false,
    notApplicable: new Set(),
  });
  expect(result).toMatchObject({ passed: 2, failed: [], untitled: [] });
});

test('when the whole folder ran, a catalogue id with no test fails unless docs/security.md argues it not applicable', () => {
  const every = scorecard.catalogueIds().filter((id) => id !== 'E1' && id !== 'J6');
  const result = scorecard.tally([file('all.test.ts', every.map((id) => [`${id}: case`, 'passed']))], { wholeFolder: true, notApplicable: new Set(['J6']) });
  expect(scorecard.catalogueIds()).toHaveLength(73);
  expect(result.failed).toEqual(['E1']);
  expect(result.uncovered).toEqual(['E1']);
  expect(result.notApplicable).toEqual(['J6']);
  expect(result.passed).toBe(71);
});

test('a test in the folder without a case id is reported, not counted', () => {
  const result = scorecard.tally([file('y.test.ts', [['does something', 'passed']])], { wholeFolder: false, notApplicable: new Set() });
  expect(result.passed).toBe(0);
  expect(result.untitled).toEqual(['does something']);
});

test('the not-applicable ids are the rows of the table under that heading, and only those', () => {
  const doc = [
    '## Scorecard',
    '| A1 | tested |',
    '### Not applicable',
    '| Case | Why |',
    '|---|---|',
    '| I3 | the deployment terminates TLS |',
    '| J6 | one clock |',
    '## Next',
    '| B2 | elsewhere |',
  ].join('\n');
  expect([...scorecard.notApplicableIds(doc)]).toEqual(['I3', 'J6']);
});
