import { layoutThread, trimReadRanges, type ThreadEvent } from './thread-layout';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const event = (
  id: number,
  sequenceId: number | null,
  naturalParentId: number | null = null,
): ThreadEvent => ({
  id,
  sequenceId,
  naturalParentId,
  isRoot: id === 1,
  createdAt: at(id),
});

describe('layoutThread', () => {
  it('hangs votes under their poll and caps depth at max_depth', () => {
    const layout = layoutThread([event(1, 0), event(2, 1), event(3, 2, 2), event(4, 3, 3)], 2);
    expect(
      layout.events.map(({ id, parentId, depth, position }) => ({ id, parentId, depth, position })),
    ).toEqual([
      { id: 1, parentId: null, depth: 0, position: 0 },
      { id: 2, parentId: 1, depth: 1, position: 1 },
      { id: 3, parentId: 2, depth: 2, position: 1 },
      { id: 4, parentId: 2, depth: 2, position: 2 },
    ]);
    expect(layout).toMatchObject({ lastSequenceId: 3, itemsCount: 3 });
  });

  it('numbers the unnumbered after the highest id in time order, and survives a parent cycle', () => {
    const layout = layoutThread([event(1, 0), event(3, null, 2), event(2, null, 3), event(4, 7)], 5);
    expect(layout.events.map(({ id, sequenceId }) => [id, sequenceId])).toEqual([
      [1, 0],
      [4, 7],
      [2, 8],
      [3, 9],
    ]);
  });
});

describe('trimReadRanges', () => {
  it('cuts ranges at the last sequence id and drops those past it', () => {
    expect(
      trimReadRanges(
        [
          [1, 3],
          [5, 9],
          [10, 12],
        ],
        6,
      ),
    ).toEqual([
      [1, 3],
      [5, 6],
    ]);
    expect(trimReadRanges('nonsense', 6)).toEqual([]);
  });
});
