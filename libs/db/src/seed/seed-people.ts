import { Identity, LoginToken, MembershipRequest, type MembershipRequestResponse } from '../entities';
import { addDays } from './clock';
import type { Community, SeedUser } from './community';
import type { SeedContext } from './seed-context';
import { seedGroups } from './seed-groups';
import { seedUser, USERS_PER_COMMUNITY } from './seed-users';
import { FIRST_NAMES, LAST_NAMES, slug } from './vocabulary';

export async function seedPeople(ctx: SeedContext, unit: number): Promise<Community> {
  const users: SeedUser[] = [];
  for (let index = 0; index < USERS_PER_COMMUNITY; index++) {
    users.push(await seedUser(ctx, unit, index));
  }
  const organiser = users[0];
  const groups = await seedGroups(ctx, unit, users, organiser);
  const community: Community = {
    unit,
    organiser,
    users,
    groups,
    tagUse: new Map(),
    tasksSeeded: 0,
    enabledChatbots: [],
  };
  await seedMembershipRequests(ctx, community);
  await seedIdentitiesAndLoginTokens(ctx, community);
  return community;
}

async function seedMembershipRequests(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  for (const group of community.groups.filter((candidate) => candidate.parentId === null)) {
    const memberIds = new Set(group.members.map((member) => member.user.id));
    const outsider = community.users.find((user) => user.active && !memberIds.has(user.id));
    const joined = random.pick(group.members.filter((member) => member.user.active)).user;
    const requests: Array<{ requestor: SeedUser | null; response: MembershipRequestResponse | null }> = [
      // From someone without an account: name and e-mail only.
      { requestor: null, response: null },
      { requestor: outsider ?? null, response: null },
      { requestor: outsider ?? null, response: 'ignored' },
      { requestor: joined, response: 'approved' },
    ];
    for (const request of requests) {
      const createdAt = ctx.daysAgo(random.int(1, 30));
      const first = random.pick(FIRST_NAMES);
      const respondedAt = request.response ? addDays(createdAt, 1) : null;
      await ctx.insert(MembershipRequest, {
        id: ctx.nextId(MembershipRequest),
        groupId: group.id,
        requestorId: request.requestor?.id ?? null,
        name: request.requestor ? request.requestor.name : `${first} ${random.pick(LAST_NAMES)}`,
        email: request.requestor ? request.requestor.email : `${slug(first)}.${random.hex(6)}@example.net`,
        introduction: random.chance(0.7)
          ? 'I heard about the group at the open day and would love to help.'
          : null,
        responderId: request.response ? community.organiser.id : null,
        response: request.response,
        respondedAt,
        createdAt,
        updatedAt: respondedAt ?? createdAt,
      });
    }
  }
}

async function seedIdentitiesAndLoginTokens(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  const signedInUsers = community.users.filter((user) => user.active);
  for (const [index, user] of random.sample(signedInUsers, 5).entries()) {
    const createdAt = ctx.between(user.createdAt, ctx.now);
    await ctx.insert(Identity, {
      id: ctx.nextId(Identity),
      // One identity signed in through SSO but was never linked to an account.
      userId: index === 0 ? null : user.id,
      identityType: random.pick(['google', 'oauth', 'saml', 'nextcloud']),
      uid: `${random.int(100_000_000, 999_999_999)}${random.hex(6)}`,
      email: user.email,
      name: user.name,
      accessToken: random.hex(40),
      logo: null,
      customFields: {},
      createdAt,
      updatedAt: createdAt,
    });
  }
  // delete-expired-login-tokens: tokens live an hour; some here are minutes old, some long expired.
  const ages = [
    { minutes: 5, used: false },
    { minutes: 40, used: true },
    { minutes: 55, used: false },
    { minutes: 90, used: false },
    { minutes: 60 * 26, used: true },
    { minutes: 60 * 24 * 9, used: false },
  ];
  for (const age of ages) {
    const user = random.pick(signedInUsers);
    const createdAt = ctx.minutesFromNow(-age.minutes);
    await ctx.insert(LoginToken, {
      id: ctx.nextId(LoginToken),
      userId: user.id,
      token: random.key(24),
      code: random.int(100_000, 999_999),
      used: age.used,
      redirect: random.chance(0.5) ? `/g/${community.groups[0].handle}` : null,
      isReactivation: false,
      createdAt,
      updatedAt: createdAt,
    });
  }
}
