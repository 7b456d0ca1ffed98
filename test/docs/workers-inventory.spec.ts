import { readFileSync } from 'node:fs';
import { inventoryGaps, renderWorkersDoc, WorkersDocPath } from '../../tools/workers-doc/generate';

describe('docs/WORKERS.md', () => {
  it('accounts for every contract, and names no subject that does not exist', () => {
    expect(inventoryGaps()).toEqual({ uncovered: [], unknown: [] });
  });

  it('is what `npm run docs:workers` writes today', () => {
    expect(readFileSync(WorkersDocPath, 'utf8')).toBe(renderWorkersDoc());
  });
});
