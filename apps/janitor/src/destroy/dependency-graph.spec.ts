import { DomainModelTables } from '@lib/db';
import {
  allTablesParentsFirst,
  Dependencies,
  DestroyRoots,
  ModelOfTable,
  parentsFirst,
  reachableFrom,
} from './dependency-graph';

describe('the dependency graph', () => {
  it('names only tables that exist, and a model for every polymorphic parent', () => {
    const known = new Set<string>([...DomainModelTables, 'chatbot_deliveries']);
    for (const { parent, child, typeColumn } of Dependencies) {
      expect(known).toContain(parent);
      expect(known).toContain(child);
      if (typeColumn) expect(ModelOfTable[parent]).toEqual(expect.any(String));
    }
  });

  it('orders every table after all of its parents, from each root and overall', () => {
    const orders = [
      ...Object.values(DestroyRoots).map((root) => parentsFirst(root.table)),
      allTablesParentsFirst(),
    ];
    for (const order of orders) {
      for (const { parent, child } of Dependencies) {
        if (order.includes(parent) && order.includes(child)) {
          expect(order.indexOf(parent)).toBeLessThan(order.indexOf(child));
        }
      }
    }
    expect(parentsFirst('groups')[0]).toBe('groups');
  });

  it('reaches the whole content of a group and nothing that outlives it', () => {
    const underGroup = reachableFrom('groups');
    for (const table of [
      'comments',
      'stance_choices',
      'notifications',
      'tasks_users',
      'chatbot_deliveries',
    ]) {
      expect(underGroup).toContain(table);
    }
    for (const table of ['users', 'login_tokens', 'mail_deliveries', 'blocked_domains']) {
      expect(underGroup).not.toContain(table);
    }
    expect([...reachableFrom('tags')]).toEqual(['tags']);
  });

  it('refuses a cycle', () => {
    const cyclic = [
      { parent: 'a', child: 'b', column: 'a_id' },
      { parent: 'b', child: 'a', column: 'b_id' },
    ];
    expect(() => allTablesParentsFirst(cyclic)).toThrow(/cycle/);
  });
});
