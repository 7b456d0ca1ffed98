import { User, type EmailCatchUpDay } from '../entities';
import type { SeedUser, UserRole } from './community';
import type { SeedContext } from './seed-context';
import { FIRST_NAMES, LAST_NAMES, LOCALES, PLACES, slug, TIME_ZONES } from './vocabulary';

export const USERS_PER_COMMUNITY = 50;

/** null never, 7 daily, 8 Monday/Wednesday/Friday, 0..6 weekly on that weekday. */
const CATCH_UP_SETTINGS: ReadonlyArray<EmailCatchUpDay | null> = [null, 7, 8, 0, 1, 2, 3, 4, 5, 6];

/** The last users of each community play the special roles; the rest are members. */
const SPECIAL_ROLES: readonly UserRole[] = [
  'geo-locate',
  'deactivated',
  'deactivated-still-member',
  'redacted',
  'spam-complaint',
  'never-signed-in',
];

const DAYS_SINCE_DEACTIVATION: Partial<Record<UserRole, number>> = {
  deactivated: 2,
  'deactivated-still-member': 10,
  redacted: 120,
};

function roleOf(index: number): UserRole {
  if (index === 0) return 'organiser';
  const specialIndex = index - (USERS_PER_COMMUNITY - SPECIAL_ROLES.length);
  return specialIndex >= 0 ? SPECIAL_ROLES[specialIndex] : 'member';
}

export async function seedUser(ctx: SeedContext, unit: number, index: number): Promise<SeedUser> {
  const { random } = ctx;
  const id = ctx.nextId(User);
  const role = roleOf(index);
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const handle = `${slug(first)}.${slug(last)}`.replace(/-/g, '');
  const timeZone = TIME_ZONES[index % TIME_ZONES.length];
  const catchUpDay = CATCH_UP_SETTINGS[index % CATCH_UP_SETTINGS.length];
  // Users with a role joined long before it played out (e.g. before they were deactivated).
  const createdAt = ctx.daysAgo(
    role === 'never-signed-in'
      ? random.int(240, 270)
      : role === 'member'
        ? random.int(30, 900)
        : random.int(300, 900),
  );
  const daysSinceDeactivation = DAYS_SINCE_DEACTIVATION[role];
  const deactivatedAt =
    daysSinceDeactivation === undefined ? null : wholeSecond(ctx.daysAgo(daysSinceDeactivation));
  const signedIn = role !== 'never-signed-in';
  const lastSignInAt = signedIn ? ctx.between(createdAt, deactivatedAt ?? ctx.hoursAgo(1)) : null;
  const place = role === 'geo-locate' || random.chance(0.2) ? null : random.pick(PLACES);

  const profile: Partial<User> = {
    id,
    name: `${first} ${last}`,
    email: unit === 0 && index === 0 ? 'demo@example.org' : `${handle}.${id}@example.org`,
    username: `${handle}${id}`,
    initials: `${first[0]}${last[0]}`.toUpperCase(),
    timeZone,
    locale: random.pick(LOCALES),
    emailCatchUpDay: catchUpDay,
    lastCatchUpAt: catchUpDay !== null && random.chance(0.7) ? ctx.daysAgo(random.int(1, 8)) : null,
    emailOnParticipation: random.chance(0.3),
    emailWhenMentioned: random.chance(0.9),
    emailVerified: signedIn,
    deactivatedAt,
    spamComplaintAt: role === 'spam-complaint' ? ctx.daysAgo(random.int(3, 40)) : null,
    emailSha256: null,
    apiKey: random.chance(0.2) ? random.hex(32) : null,
    emailApiKey: random.hex(24),
    secretToken: random.hex(32),
    unsubscribeToken: random.hex(32),
    authenticationToken: random.chance(0.5) ? random.hex(20) : null,
    rememberToken: random.chance(0.5) ? random.hex(22) : null,
    // Not a usable hash: demo users sign in with login tokens.
    encryptedPassword: signedIn ? `$2a$12$${random.key(53)}` : null,
    resetPasswordToken: random.chance(0.05) ? random.hex(40) : null,
    resetPasswordSentAt: null,
    avatarKind: random.weighted([
      ['initials', 6],
      ['gravatar', 3],
      ['uploaded', 1],
    ] as const),
    uploadedAvatarKey: null,
    shortBio: random.chance(0.5)
      ? ''
      : `<p>${first} looks after ${random.pick(['the garden', 'the finances', 'outreach'])}.</p>`,
    location: place?.city ?? '',
    city: place?.city ?? null,
    region: place?.region ?? null,
    country: place?.country ?? null,
    signInCount: signedIn ? random.int(1, 400) : 0,
    currentSignInAt: lastSignInAt,
    lastSignInAt,
    // Documentation address ranges (RFC 5737 / RFC 3849): they belong to nobody.
    currentSignInIp: signedIn ? documentationIp(ctx) : null,
    lastSignInIp: signedIn ? documentationIp(ctx) : null,
    legalAcceptedAt: signedIn ? createdAt : null,
    createdAt,
    updatedAt: lastSignInAt ?? createdAt,
  };
  const row = role === 'redacted' ? { ...profile, ...redactedFields(ctx) } : profile;
  await ctx.insert(User, row);

  return {
    id,
    name: row.name ?? null,
    username: row.username ?? null,
    email: row.email ?? null,
    timeZone,
    role,
    createdAt,
    deactivatedAt,
    active: role === 'organiser' || role === 'member' || role === 'geo-locate' || role === 'spam-complaint',
  };
}

/** What redact-user leaves of a user (SPEC, janitor): no name, address, secrets or whereabouts. */
function redactedFields(ctx: SeedContext): Partial<User> {
  return {
    name: null,
    email: null,
    username: null,
    initials: null,
    apiKey: null,
    emailApiKey: null,
    secretToken: null,
    authenticationToken: null,
    rememberToken: null,
    encryptedPassword: null,
    resetPasswordToken: null,
    resetPasswordSentAt: null,
    avatarKind: 'initials',
    uploadedAvatarKey: null,
    shortBio: '',
    location: '',
    city: null,
    region: null,
    country: null,
    currentSignInIp: null,
    lastSignInIp: null,
    legalAcceptedAt: null,
    emailVerified: false,
    // Kept so that the same address coming back can be recognised.
    emailSha256: ctx.random.hex(64),
  };
}

function documentationIp(ctx: SeedContext): string {
  const { random } = ctx;
  return random.chance(0.2)
    ? `2001:db8::${random.hex(4)}`
    : `${random.pick(['192.0.2', '198.51.100', '203.0.113'])}.${random.int(1, 254)}`;
}

/** Timestamps that later rows must equal exactly (revoked_at = deactivated_at) avoid sub-second noise. */
function wholeSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
