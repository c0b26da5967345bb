// The roles that may approve offsets, in the order the over-limit sentence offers them: unlimited first,
// then the highest limit. Asked for by the mutation run of issue 22 (approvals.ts approvingRoles' sort).
import { expect } from 'chai';
import { approvingRoles } from '../../src/offsets/approvals.js';

describe('approvingRoles: who may approve, unlimited first then the highest limit', () => {
  it('orders three limited roles from the highest limit down, however they were listed', () => {
    const limits = { manager: 500_00, supervisor: 100_00, deputy: 300_00 };
    for (const roles of [
      ['supervisor', 'deputy', 'manager'],
      ['manager', 'deputy', 'supervisor'],
      ['deputy', 'supervisor', 'manager'],
    ]) {
      expect(
        approvingRoles(roles, limits).map((r) => [r.role, r.limitFen]),
        roles.join(),
      ).to.deep.equal([
        ['manager', 500_00],
        ['deputy', 300_00],
        ['supervisor', 100_00],
      ]);
    }
  });

  it('puts an unlimited role first, leaves out roles without a limit entry and counts a repeated role once', () => {
    const limits: Record<string, number | null> = { supervisor: 100_00, director: null, manager: 500_00 };
    expect(approvingRoles(['supervisor', 'counter_staff', 'manager', 'director', 'supervisor'], limits)).to.deep.equal([
      { role: 'director', limitFen: null },
      { role: 'manager', limitFen: 500_00 },
      { role: 'supervisor', limitFen: 100_00 },
    ]);
  });
});
