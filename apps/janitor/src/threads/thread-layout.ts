/** One `events` row of a thread, with what decides where it hangs. */
export interface ThreadEvent {
  id: number;
  sequenceId: number | null;
  /** The event it belongs under by nature (a reply's comment, a vote's poll); null: the thread's root. */
  naturalParentId: number | null;
  isRoot: boolean;
  createdAt: Date;
}

export interface PlacedEvent {
  id: number;
  sequenceId: number;
  parentId: number | null;
  depth: number;
  position: number;
  childCount: number;
  descendantCount: number;
}

export interface ThreadLayout {
  events: PlacedEvent[];
  lastSequenceId: number;
  itemsCount: number;
}

/**
 * The tree of a thread as the app builds it: the `new_discussion` root is sequence 0 at depth 0; every other
 * item hangs under its natural parent, or under the deepest ancestor that keeps it within `maxDepth`, or under
 * the root; positions count siblings in sequence order from 1. Events without a sequence id get the next
 * free ones in time order; existing ids are never changed, since readers' read ranges point at them.
 */
export function layoutThread(input: ThreadEvent[], maxDepth: number): ThreadLayout {
  const taken = new Set(input.filter((e) => e.sequenceId !== null).map((e) => e.sequenceId!));
  let next = Math.max(0, ...taken) + 1;
  const sequenceOf = new Map<number, number>();
  for (const event of input) if (event.sequenceId !== null) sequenceOf.set(event.id, event.sequenceId);
  const unnumbered = input
    .filter((e) => e.sequenceId === null)
    .sort(
      (a, b) =>
        Number(b.isRoot) - Number(a.isRoot) || a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id,
    );
  for (const event of unnumbered) {
    const sequenceId = event.isRoot && !taken.has(0) ? 0 : next++;
    taken.add(sequenceId);
    sequenceOf.set(event.id, sequenceId);
  }

  const events = [...input].sort((a, b) => sequenceOf.get(a.id)! - sequenceOf.get(b.id)!);
  const root = events.find((e) => e.isRoot);
  const byId = new Map(events.map((e) => [e.id, e]));
  const parentOf = new Map<number, number | null>();
  const depthOf = new Map<number, number>();
  const depthOfEvent = (id: number): number => {
    const known = depthOf.get(id);
    if (known !== undefined) return known;
    const parent = parentOf.get(id) ?? null;
    // Parents come earlier in sequence order, except after a move; guard against cycles all the same.
    depthOf.set(id, 0);
    const depth = parent === null ? 0 : depthOfEvent(parent) + 1;
    depthOf.set(id, depth);
    return depth;
  };
  for (const event of events) {
    if (event === root) {
      parentOf.set(event.id, null);
      continue;
    }
    let parent =
      event.naturalParentId !== null && byId.has(event.naturalParentId) ? event.naturalParentId : null;
    if (parent === event.id) parent = null;
    parentOf.set(event.id, parent ?? root?.id ?? null);
  }
  for (const event of events) {
    let parent = parentOf.get(event.id) ?? null;
    while (parent !== null && parent !== root?.id && depthOfEvent(parent) >= maxDepth) {
      parent = parentOf.get(parent) ?? null;
    }
    parentOf.set(event.id, parent);
    depthOf.delete(event.id);
  }
  depthOf.clear();

  const childCount = new Map<number, number>();
  const descendantCount = new Map<number, number>();
  const positionOf = new Map<number, number>();
  for (const event of events) {
    const parent = parentOf.get(event.id) ?? null;
    if (parent === null) continue;
    childCount.set(parent, (childCount.get(parent) ?? 0) + 1);
    positionOf.set(event.id, childCount.get(parent)!);
    const seen = new Set<number>();
    for (
      let ancestor: number | null = parent;
      ancestor !== null && !seen.has(ancestor);
      ancestor = parentOf.get(ancestor) ?? null
    ) {
      seen.add(ancestor);
      descendantCount.set(ancestor, (descendantCount.get(ancestor) ?? 0) + 1);
    }
  }
  const placed = events.map((event) => ({
    id: event.id,
    sequenceId: sequenceOf.get(event.id)!,
    parentId: parentOf.get(event.id) ?? null,
    depth: depthOfEvent(event.id),
    position: positionOf.get(event.id) ?? 0,
    childCount: childCount.get(event.id) ?? 0,
    descendantCount: descendantCount.get(event.id) ?? 0,
  }));
  const items = placed.filter((event) => event.id !== root?.id);
  return {
    events: placed,
    lastSequenceId: Math.max(0, ...placed.map((event) => event.sequenceId)),
    itemsCount: items.length,
  };
}

/** Read ranges (`[[from, to], ...]`) cut at the thread's last sequence id; ranges past it go. */
export function trimReadRanges(ranges: unknown, lastSequenceId: number): [number, number][] {
  if (!Array.isArray(ranges)) return [];
  return ranges
    .filter(
      (range): range is [number, number] =>
        Array.isArray(range) && range.length === 2 && range.every(Number.isInteger),
    )
    .filter(([from]) => from <= lastSequenceId)
    .map(([from, to]) => [from, Math.min(to, lastSequenceId)] as [number, number]);
}
