/**
 * The dashboard's table as cells (pure): one definition of the columns for the HTML page and the CSV export, so
 * the CSV is exactly what the page shows. CSV cells are made safe for spreadsheets (OWASP CSV injection: a cell
 * starting with = + - @, a tab or a carriage return is prefixed with a quote) and quoted per RFC 4180.
 */
import type { DashboardRow } from './dashboard-query';
import type { IntegrityResult } from './integrity';

export const TABLE_HEADERS = [
  'Date (UTC)', 'Discussion', 'Patient', 'Encounter', 'Clinician', 'Status', 'Content version', 'Language',
  'Checklist', 'Teach-back', 'Interpreter', 'Attested by', 'Attested at (UTC)', 'Document', 'Integrity',
] as const;

const STATUS_LABELS: Readonly<Record<DashboardRow['status'], string>> = {
  draft: 'draft', attested: 'attested', pending: 'pending', filed: 'filed', failed: 'failed', 'entered-in-error': 'entered in error',
};

export function integrityText(result: IntegrityResult | undefined): string {
  if (result === undefined) {
    return 'not checked yet';
  }
  switch (result.state) {
    case 'match':
      return 'match';
    case 'changed':
      return 'changed';
    case 'missing':
      return 'missing';
    case 'entered-in-error':
      return 'entered in error';
    case 'not-filed':
      return 'no document';
    case 'not-checked':
      return `not checked: ${result.reason ?? 'unknown reason'}`;
  }
}

const iso = (d: Date | null): string => (d === null ? '' : d.toISOString());

/** The cells of one row, in the order of {@link TABLE_HEADERS}. */
export function rowCells(row: DashboardRow, integrity: IntegrityResult | undefined): string[] {
  return [
    iso(row.createdAt),
    row.discussionId,
    row.patientId,
    row.encounterId ?? '',
    row.clinician,
    STATUS_LABELS[row.status],
    `${row.pack.id} ${row.pack.version}`,
    row.pack.language,
    `${row.summary.checklist.answered}/${row.summary.checklist.required}`,
    row.summary.teachBack ?? '',
    row.summary.interpreter ?? '',
    row.attestedBy ?? '',
    iso(row.attestedAt),
    row.filing?.documentId ?? '',
    integrityText(integrity),
  ];
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
