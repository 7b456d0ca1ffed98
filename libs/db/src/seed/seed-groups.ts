import { Group, Membership, type SubscriptionPlan, type Volume } from '../entities';
import { addDays, addMinutes } from './clock';
import type { SeedGroup, SeedMember, SeedUser } from './community';
import type { SeedContext } from './seed-context';
import { GROUP_TEMPLATES, slug } from './vocabulary';

export async function seedGroups(
  ctx: SeedContext,
  unit: number,
  users: SeedUser[],
  organiser: SeedUser,
): Promise<SeedGroup[]> {
  const { random } = ctx;
  const groups: SeedGroup[] = [];
  // Every user belongs to at least one top group; most to two.
  const topGroupCount = 3;
  const plans: Array<{ plan: SubscriptionPlan; expiresAt: Date | null }> = [
    { plan: 'pro', expiresAt: ctx.daysAgo(-random.int(30, 300)) },
    // check-subscriptions: the paid period ended three days ago and nobody marked it yet.
    { plan: 'standard', expiresAt: ctx.daysAgo(3) },
    { plan: 'free', expiresAt: null },
  ];
  for (let topIndex = 0; topIndex < topGroupCount; topIndex++) {
    const template = GROUP_TEMPLATES[(unit * topGroupCount + topIndex) % GROUP_TEMPLATES.length];
    const memberUsers = users.filter(
      (user, index) => user === organiser || index % topGroupCount === topIndex || random.chance(0.35),
    );
    const top = await seedGroup(ctx, {
      name: template.name,
      template,
      parent: null,
      users: memberUsers,
      organiser,
      subscription: plans[topIndex],
      archived: false,
    });
    groups.push(top);
    const subgroupNames = random.sample(template.subgroups, 2);
    for (const [subIndex, subgroupName] of subgroupNames.entries()) {
      const candidates = top.members.map((member) => member.user).filter((user) => user !== organiser);
      const subgroupUsers = [organiser, ...random.sample(candidates, random.int(8, 14))];
      groups.push(
        await seedGroup(ctx, {
          name: subgroupName,
          template,
          parent: top,
          users: subgroupUsers,
          organiser,
          subscription: { plan: 'free', expiresAt: null },
          // destroy-group: archived three days ago, so its hard delete is 11 days away.
          archived: topIndex === 2 && subIndex === 1,
        }),
      );
    }
  }
  return groups;
}

interface GroupPlan {
  name: string;
  template: SeedGroup['template'];
  parent: SeedGroup | null;
  users: SeedUser[];
  organiser: SeedUser;
  subscription: { plan: SubscriptionPlan; expiresAt: Date | null };
  archived: boolean;
}

async function seedGroup(ctx: SeedContext, plan: GroupPlan): Promise<SeedGroup> {
  const { random } = ctx;
  const id = ctx.nextId(Group);
  const createdAt = plan.parent
    ? ctx.between(plan.parent.createdAt, ctx.daysAgo(150))
    : ctx.daysAgo(random.int(400, 1000));
  const handle = `${slug(plan.name)}-${id}`;
  await ctx.insert(Group, {
    id,
    name: plan.name,
    handle,
    parentId: plan.parent?.id ?? null,
    creatorId: plan.organiser.id,
    description: `<p>${plan.parent ? `A working group of ${plan.parent.name}.` : plan.template.description}</p>`,
    descriptionFormat: 'html',
    parentMembersCanSeeDiscussions: plan.parent !== null && random.chance(0.5),
    archivedAt: plan.archived ? ctx.daysAgo(3) : null,
    token: random.hex(24),
    subscriptionPlan: plan.subscription.plan,
    subscriptionExpiresAt: plan.subscription.expiresAt,
    subscriptionExpiredAt: null,
    createdAt,
    updatedAt: createdAt,
  });

  const group: SeedGroup = {
    id,
    parentId: plan.parent?.id ?? null,
    topGroupId: plan.parent?.topGroupId ?? id,
    name: plan.name,
    handle,
    template: plan.template,
    createdAt,
    archived: plan.archived,
    members: [],
    adminIds: [],
  };
  const extraAdmins = new Set(
    random.sample(
      plan.users.filter((user) => user.active && user !== plan.organiser),
      random.int(1, 2),
    ),
  );
  for (const user of plan.users) {
    await seedMembership(ctx, group, user, plan.organiser, user === plan.organiser || extraAdmins.has(user));
  }
  return group;
}

async function seedMembership(
  ctx: SeedContext,
  group: SeedGroup,
  user: SeedUser,
  organiser: SeedUser,
  admin: boolean,
): Promise<void> {
  const { random } = ctx;
  const invitedAt = ctx.between(
    maxDate(group.createdAt, user.createdAt),
    ctx.daysAgo(user.role === 'member' ? 1 : 130),
  );
  const pendingInvitation =
    user.role === 'never-signed-in' || (user.role === 'member' && random.chance(0.04));
  const leftGroup = user.role === 'member' && !pendingInvitation && !admin && random.chance(0.03);
  // Deactivation revokes memberships at the deactivation instant; reactivation looks for exactly it.
  const revokedAt =
    user.role === 'deactivated' || user.role === 'redacted'
      ? user.deactivatedAt
      : leftGroup
        ? ctx.between(invitedAt, ctx.now)
        : null;
  const volume: Volume | null = random.weighted<Volume | null>([
    [null, 8],
    [2, 5],
    [3, 2],
    [1, 2],
    [0, 1],
  ]);
  const acceptedAt = pendingInvitation
    ? null
    : ctx.between(addMinutes(invitedAt, 5), minDate(addDays(invitedAt, 2), ctx.now));
  await ctx.insert(Membership, {
    id: ctx.nextId(Membership),
    groupId: group.id,
    userId: user.id,
    inviterId: user === organiser ? null : organiser.id,
    admin,
    volume,
    acceptedAt,
    revokedAt,
    token: pendingInvitation ? random.hex(24) : null,
    createdAt: invitedAt,
    updatedAt: revokedAt ?? acceptedAt ?? invitedAt,
  });
  if (acceptedAt && !leftGroup) {
    group.members.push({ user, joinedAt: acceptedAt, volume } satisfies SeedMember);
    if (admin) group.adminIds.push(user.id);
  }
}

function maxDate(first: Date, second: Date): Date {
  return first > second ? first : second;
}

function minDate(first: Date, second: Date): Date {
  return first < second ? first : second;
}
