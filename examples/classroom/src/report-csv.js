// The end-of-class report as a CSV file a spreadsheet opens as it is:
// RFC 4180 quoting, CRLF line ends, and UTF-8 with a byte-order mark, which
// is what makes Excel read Korean names correctly. Cells that a spreadsheet
// would run as a formula (a name starting with "=", say) are kept as text.

import { t } from './i18n/index.js';

const BOM = '\uFEFF';
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: text that starts like a formula gets a leading apostrophe; quoted when it holds a quote, comma or line break. */
export function csvCell(value) {
  let text = value === null || value === undefined ? '' : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The report's students (in the order given) as a CSV file's text, header first, in the reader's language. */
export function reportCsv(students, tr = t) {
  const header = ['name', 'status', 'solved', 'seconds', 'progress', 'drops'].map((key) => tr(`report.csv.${key}`));
  const rows = students.map((s) => [
    s.name,
    tr(`report.status.${s.status}`),
    tr(s.solved ? 'report.yes' : 'report.no'),
    s.tookMs === null || s.tookMs === undefined ? '' : Math.round(s.tookMs / 1000),
    Math.round(s.progress * 100),
    s.drops,
  ]);
  return BOM + [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
