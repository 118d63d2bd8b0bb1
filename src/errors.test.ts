import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from './errors.js';

describe('docs/errors.md', () => {
  it('lists exactly the error codes of errors.ts, with their status and type', () => {
    const doc = fs.readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const rows = doc
      .split('\n')
      .filter((line) => /^\| `/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map(([, code, status, type]) => [code.replaceAll('`', ''), Number(status), type.replaceAll('`', '')]);
    expect(rows).toEqual(Object.entries(errorCodes).map(([code, { status, type }]) => [code, status, type]));
  });
});
