// The security reviewer's scorecard: a Jest reporter that tallies tests/adversarial by case id and prints, at the end
// of the run, `adversarial: N passed, N failed` followed by the ids that failed.
//
// A test belongs to a case when its title (or a describe block around it) starts with the id and a colon: `A1: …`,
// `X12: …`. A case passes when every test of it passed; one failed or skipped test fails the case (a skipped case
// would be silently skipped). When the whole folder ran, every id of the catalogue (§6, groups A–J) must either have a
// test or be argued not applicable in docs/security.md's "Not applicable" table; an id with neither fails too.
// Plain CommonJS because Jest loads reporters with require(), outside its TypeScript transform.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** The reviewer's catalogue: group letter and how many cases it has. */
const CATALOGUE = { A: 10, B: 8, C: 10, D: 4, E: 5, F: 12, G: 5, H: 9, I: 4, J: 6 };
const CASE_ID = /^([A-JX]\d{1,2}):/;

function catalogueIds() {
  return Object.entries(CATALOGUE).flatMap(([group, count]) => Array.from({ length: count }, (_, i) => `${group}${i + 1}`));
}

/** The ids argued not applicable: rows of the table under the "Not applicable" heading of docs/security.md. */
function notApplicableIds(securityDoc) {
  const section = /^#{2,4} Not applicable[^\n]*\n([\s\S]*?)(?=^#{2,4} |(?![\s\S]))/m.exec(securityDoc);
  if (section === null) {
    return new Set();
  }
  const ids = [...section[1].matchAll(/^\|\s*([A-J]\d{1,2})\s*\|/gm)].map((match) => match[1]);
  return new Set(ids);
}

function caseIdOf(assertion) {
  for (const title of [...assertion.ancestorTitles, assertion.title]) {
    const match = CASE_ID.exec(title);
    if (match !== null) {
      return match[1];
    }
  }
  return undefined;
}

function byId(a, b) {
  const [, ga, na] = /^([A-Z])(\d+)$/.exec(a);
  const [, gb, nb] = /^([A-Z])(\d+)$/.exec(b);
  return ga === gb ? Number(na) - Number(nb) : ga.localeCompare(gb);
}

/**
 * The tally, pure: `files` are Jest's test-file results under tests/adversarial; `wholeFolder` says every file there ran
 * (only then can a missing id be told from a file left out of this run).
 */
function tally(files, { wholeFolder, notApplicable }) {
  const outcomes = new Map();
  const untitled = [];
  for (const file of files) {
    if (file.testExecError !== undefined && file.testExecError !== null) {
      untitled.push(path.basename(file.testFilePath));
    }
    for (const assertion of file.testResults) {
      const id = caseIdOf(assertion);
      if (id === undefined) {
        untitled.push(assertion.fullName);
        continue;
      }
      const ok = assertion.status === 'passed';
      outcomes.set(id, (outcomes.get(id) ?? true) && ok);
    }
  }
  const failed = [...outcomes].filter(([, ok]) => !ok).map(([id]) => id);
  const uncovered = wholeFolder ? catalogueIds().filter((id) => !outcomes.has(id) && !notApplicable.has(id)) : [];
  const argued = wholeFolder ? catalogueIds().filter((id) => notApplicable.has(id) && !outcomes.has(id)) : [];
  return {
    passed: [...outcomes].filter(([, ok]) => ok).length,
    failed: [...failed, ...uncovered].sort(byId),
    uncovered: uncovered.sort(byId),
    notApplicable: argued.sort(byId),
    untitled,
  };
}

function describeTally(result) {
  const lines = [`adversarial: ${result.passed} passed, ${result.failed.length} failed`];
  if (result.failed.length > 0) {
    lines.push(`adversarial failures: ${result.failed.join(' ')}`);
  }
  if (result.uncovered.length > 0) {
    lines.push(`  no test and not argued in docs/security.md: ${result.uncovered.join(' ')}`);
  }
  if (result.notApplicable.length > 0) {
    lines.push(`  not applicable (argued in docs/security.md): ${result.notApplicable.join(' ')}`);
  }
  if (result.untitled.length > 0) {
    lines.push(`  tests under tests/adversarial without a case id, or files that did not run: ${result.untitled.join('; ')}`);
  }
  return lines.join('\n');
}

class AdversarialScorecard {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const folder = path.join(this.rootDir, 'tests', 'adversarial');
    const files = results.testResults.filter((file) => file.testFilePath.startsWith(folder + path.sep));
    if (files.length === 0) {
      return;
    }
    const ran = new Set(files.map((file) => path.basename(file.testFilePath)));
    const wholeFolder = fs.readdirSync(folder).filter((name) => name.endsWith('.test.ts')).every((name) => ran.has(name));
    const doc = path.join(this.rootDir, 'docs', 'security.md');
    const notApplicable = notApplicableIds(fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '');
    const result = tally(files, { wholeFolder, notApplicable });
    // Jest prints its own summary after every reporter's onRunComplete; the scorecard is written when the process
    // exits so that it is the last thing the test command prints.
    const text = `\n${describeTally(result)}\n`;
    process.once('exit', () => fs.writeSync(process.stdout.fd, text));
    if (result.failed.length > 0 || result.untitled.length > 0) {
      this.error = new Error(`adversarial scorecard: ${result.failed.length} failed`);
    }
  }

  getLastError() {
    return this.error;
  }
}

module.exports = AdversarialScorecard;
module.exports.tally = tally;
module.exports.describeTally = describeTally;
module.exports.notApplicableIds = notApplicableIds;
module.exports.catalogueIds = catalogueIds;
