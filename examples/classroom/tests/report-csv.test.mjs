// The report's CSV without a browser: cells quoted as RFC 4180 says, text
// that would run as a spreadsheet formula kept as text, a byte-order mark
// first and CRLF line ends, headers in the reader's language.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { translate } from '../src/i18n/index.js';
import { csvCell, reportCsv } from '../src/report-csv.js';

test('cells are quoted only when they must be, and formulas stay text', () => {
  assert.equal(csvCell('Ann'), 'Ann');
  assert.equal(csvCell('Lee, Sunny'), '"Lee, Sunny"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('-2'), "'-2");
  assert.equal(csvCell('@cmd'), "'@cmd");
  assert.equal(csvCell(-2), '-2', 'numbers are numbers');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell('김민지'), '김민지');
});

test('the whole file: BOM, header in the language, one CRLF line per student', () => {
  const students = [
    { name: '김민지', status: 'active', solved: true, tookMs: 65_400, progress: 1, drops: 4 },
    { name: 'Lee, "Sunny"', status: 'kicked', solved: false, tookMs: null, progress: 0.256, drops: 1 },
  ];
  const ko = reportCsv(students, (key, params) => translate('ko', key, params));
  assert.equal(ko, '\uFEFF학생,상태,완성,걸린 시간(초),진행도(%),조각 놓은 횟수\r\n김민지,수업 중,예,65,100,4\r\n"Lee, ""Sunny""",내보내짐,아니요,,26,1\r\n');
  const en = reportCsv(students, (key, params) => translate('en', key, params));
  assert.ok(en.startsWith('\uFEFFStudent,Status,Solved,Time to solve (seconds),Progress (%),Drops\r\n'));
});
