/**
 * The gap report as CSV (RFC 4180), safe to open in a spreadsheet: every cell quoted, and a cell that a spreadsheet
 * would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return, OWASP "CSV injection") is
 * prefixed with an apostrophe. The rows are exactly `report.gaps`, in the report's order.
 *
 * No patient names: the FHIR id finds the patient in the EHR for whoever follows a gap up, and a CSV travels (mail,
 * shared drives) further than the EHR's own access controls reach. Minimum necessary (45 CFR 164.502(b)).
 */
import type { GapReport } from './gap-report';

export const GAP_CSV_COLUMNS = [
  'tenant',
  'patient_fhir_id',
  'resource',
  'procedure_code',
  'procedure_display',
  'procedure_kind',
  'procedure_date',
  'status',
  'done_or_scheduled',
  'gap_reason',
  'why',
  'note_ids',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function gapCsv(report: GapReport): string {
  const lines = [GAP_CSV_COLUMNS.join(',')];
  for (const gap of report.gaps) {
    const p = gap.procedure;
    lines.push(
      [
        report.tenantId,
        gap.patientId,
        `${p.resourceType}/${p.id}`,
        p.code,
        p.display,
        p.kind,
        p.date,
        p.status,
        p.state,
        gap.reason,
        gap.reasonText,
        gap.noteIds.join(' '),
      ].map(csvCell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
