import type { Audience } from './activity-fanout';

/** Loomio's volumes: 0 mute, 1 quiet (in-app only), 2 normal (e-mail too), 3 loud (e-mail about everything). */
export const Volume = { mute: 0, quiet: 1, normal: 2, loud: 3 } as const;

/** Where an activity happened; a person's volume and access are read within it. */
export interface Scope {
  groupId: number | null;
  discussionId: number | null;
  pollId: number | null;
}

/** First one set among the stance, the discussion reader and the membership, else normal (SPEC). */
const EffectiveVolume = `COALESCE(s.volume, r.volume, m.volume, ${Volume.normal})`;

/**
 * Can still see the thread: an accepted membership, a discussion reader or a stance, none revoked; or is the
 * poll's author (a poll outside any group and thread has no other way in).
 */
const HasAccess = `((m.id IS NOT NULL AND m.accepted_at IS NOT NULL) OR r.id IS NOT NULL OR s.id IS NOT NULL
                    OR EXISTS (SELECT 1 FROM polls own WHERE own.id = $3::bigint AND own.author_id = p.user_id))`;

interface ChannelRule {
  inApp: string;
  email: string;
}

/** The general rule: in-app from quiet, e-mail from normal. */
const ByVolume: ChannelRule = {
  inApp: `${EffectiveVolume} >= ${Volume.quiet}`,
  email: `${EffectiveVolume} >= ${Volume.normal}`,
};

/**
 * `people` is SQL yielding `user_id` (and `record_id` when `recordId` says so), with $1 = group, $2 =
 * discussion, $3 = poll and $4... = `extra`. Each person is joined to their stance, reader and membership
 * in the scope for the volume.
 */
function audienceOf(
  people: string,
  scope: Scope,
  extra: unknown[],
  rule: ChannelRule,
  options: { requireAccess: boolean; recordId?: string } = { requireAccess: false },
): Audience {
  return {
    sql: `SELECT p.user_id, (${rule.inApp}) AS in_app, (${rule.email}) AS email,
                 ${options.recordId ?? 'NULL::bigint'} AS record_id
          FROM (${people}) p
          JOIN users u ON u.id = p.user_id
          LEFT JOIN stances s ON s.poll_id = $3::bigint AND s.participant_id = p.user_id
                             AND s.latest AND s.revoked_at IS NULL
          LEFT JOIN discussion_readers r ON r.discussion_id = $2::bigint AND r.user_id = p.user_id
                                        AND r.revoked_at IS NULL
          LEFT JOIN memberships m ON m.group_id = $1::bigint AND m.user_id = p.user_id AND m.revoked_at IS NULL
          ${options.requireAccess ? `WHERE ${HasAccess}` : ''}`,
    params: [scope.groupId, scope.discussionId, scope.pollId, ...extra],
  };
}

/** Members of the group, guests of the thread and people invited to vote: who can see a new thread item. */
export function everyoneInScope(scope: Scope): Audience {
  return audienceOf(
    `SELECT user_id FROM memberships
       WHERE group_id = $1::bigint AND accepted_at IS NOT NULL AND revoked_at IS NULL
     UNION SELECT user_id FROM discussion_readers
       WHERE discussion_id = $2::bigint AND guest AND revoked_at IS NULL
     UNION SELECT participant_id FROM stances
       WHERE poll_id = $3::bigint AND latest AND revoked_at IS NULL AND participant_id IS NOT NULL`,
    scope,
    [],
    ByVolume,
  );
}

/** Named people (the author of a replied-to comment, a poll's author), if they can still see the thread. */
export function addressedPeople(scope: Scope, userIds: number[], rule: ChannelRule = ByVolume): Audience {
  return audienceOf(`SELECT unnest($4::bigint[]) AS user_id`, scope, [userIds], rule, {
    requireAccess: true,
  });
}

/** SPEC (poller): the author hears that their poll closed only at normal volume or louder, on both channels. */
export function pollAuthorAtNormalVolume(scope: Scope, authorId: number): Audience {
  const normal = `${EffectiveVolume} >= ${Volume.normal}`;
  return addressedPeople(scope, [authorId], { inApp: normal, email: normal });
}

/**
 * The thread's participants (its author and the authors of its comments): in-app from quiet; e-mail when the
 * thread is loud for them, or normal and they asked for mail about threads they take part in
 * (`email_on_participation`).
 */
export function threadParticipants(scope: Scope): Audience {
  return audienceOf(
    `SELECT author_id AS user_id FROM discussions WHERE id = $2::bigint
     UNION SELECT author_id FROM comments WHERE discussion_id = $2::bigint AND discarded_at IS NULL`,
    scope,
    [],
    {
      inApp: `${EffectiveVolume} >= ${Volume.quiet}`,
      email: `(${EffectiveVolume} >= ${Volume.loud}
               OR (${EffectiveVolume} >= ${Volume.normal} AND u.email_on_participation))`,
    },
    { requireAccess: true },
  );
}

/** Mentioned people who can see the record; e-mail only for those who keep `email_when_mentioned` on. */
export function mentionedPeople(scope: Scope, userIds: number[]): Audience {
  return addressedPeople(scope, userIds, {
    inApp: ByVolume.inApp,
    email: `${ByVolume.email} AND u.email_when_mentioned`,
  });
}

/**
 * Recipients the poller already chose per channel (closing soon, reminders): kept as chosen, minus anyone
 * who lost access since.
 */
export function chosenRecipients(scope: Scope, recipients: { email: number[]; inApp: number[] }): Audience {
  return audienceOf(
    `SELECT unnest($4::bigint[]) AS user_id UNION SELECT unnest($5::bigint[])`,
    scope,
    [recipients.inApp, recipients.email],
    { inApp: `p.user_id = ANY($4::bigint[])`, email: `p.user_id = ANY($5::bigint[])` },
  );
}

/**
 * The invitees of pending memberships, each with their own membership as the mail's record. Volumes do not
 * apply: they have not joined yet, and the invitation is the point.
 */
export function invitees(groupId: number, membershipIds: number[]): Audience {
  return {
    sql: `SELECT m.user_id, true AS in_app, true AS email, m.id AS record_id
          FROM memberships m
          WHERE m.id = ANY($1::bigint[]) AND m.group_id = $2::bigint
            AND m.accepted_at IS NULL AND m.revoked_at IS NULL`,
    params: [membershipIds, groupId],
  };
}
