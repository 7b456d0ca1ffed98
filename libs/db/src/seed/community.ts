import type { RecordType, Volume } from '../entities';
import type { GroupTemplate } from './vocabulary';

/**
 * What a user is in the demo. Most are plain members; a few per community exist to exercise one job each
 * (the comment beside each says which).
 */
export type UserRole =
  | 'organiser'
  | 'member'
  /** geo-locate-users: a sign-in IP but no country. */
  | 'geo-locate'
  /** reactivate-user: deactivated two days ago; memberships, readers and open stances revoked then. */
  | 'deactivated'
  /** revoke-memberships: deactivated, yet still holding active memberships. */
  | 'deactivated-still-member'
  /** redact-user: already redacted, so redacting again is a no-op. */
  | 'redacted'
  /** deliver-email: a spam complaint, so mail to them is skipped. */
  | 'spam-complaint'
  /** cleanup-inactive: unverified, never signed in, created eight months ago, with a pending invitation. */
  | 'never-signed-in';

export interface SeedUser {
  id: number;
  name: string | null;
  username: string | null;
  email: string | null;
  timeZone: string | null;
  role: UserRole;
  createdAt: Date;
  deactivatedAt: Date | null;
  /** May write and vote: neither deactivated nor redacted nor a never-signed-in invitee. */
  active: boolean;
}

export interface SeedMember {
  user: SeedUser;
  joinedAt: Date;
  volume: Volume | null;
}

export interface SeedGroup {
  id: number;
  parentId: number | null;
  topGroupId: number;
  name: string;
  handle: string;
  template: GroupTemplate;
  createdAt: Date;
  archived: boolean;
  /** Accepted memberships not revoked by the user leaving (the deactivated users' revoked ones included). */
  members: SeedMember[];
  adminIds: number[];
}

/** One self-contained demo community; `--scale N` seeds N of them. */
export interface Community {
  unit: number;
  organiser: SeedUser;
  users: SeedUser[];
  groups: SeedGroup[];
  /** Tag name -> discussions and polls carrying it, per top group. */
  tagUse: Map<number, Map<string, number>>;
  tasksSeeded: number;
  /** Chatbots that still receive posts, per top group. */
  enabledChatbots: Array<{ id: number; groupId: number }>;
}

export function activeMembers(group: SeedGroup, at?: Date): SeedMember[] {
  return group.members.filter((member) => member.user.active && (!at || member.joinedAt <= at));
}

export function displayName(user: SeedUser): string {
  return user.name ?? 'Former member';
}

/** Something that becomes an `events` row, and a thread item when it belongs to a discussion. */
export interface ThreadItem {
  kind: string;
  eventableType: RecordType;
  eventableId: number;
  /** Null for the scrubbed stance events of a closed anonymous poll. */
  actorId: number | null;
  at: Date;
  /** The item this one hangs under; none means the discussion's root (or nothing, outside a thread). */
  parent?: ThreadItem;
  /** Users notified in-app about it. */
  notify: number[];
  /** Chatbots the event goes to whatever kinds they subscribe to. */
  recipientChatbotIds?: number[];
  /** Assigned when the events are written. */
  eventId?: number;
  depth?: number;
}

/** A discussion being built: its row is written once its thread is numbered. */
export interface DiscussionDraft {
  id: number;
  key: string;
  group: SeedGroup;
  author: SeedUser;
  title: string;
  tags: string[];
  createdAt: Date;
  closedAt: Date | null;
  discardedAt: Date | null;
  maxDepth: number;
  /** Comments and the items of the thread's polls. */
  items: ThreadItem[];
}
