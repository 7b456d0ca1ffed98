import { Outcome, Poll, PollOption, Stance, StanceChoice, type PollType } from '../entities';
import { addDaysToDay, addHours, addMinutes } from './clock';
import { activeMembers, type SeedGroup, type SeedUser, type ThreadItem } from './community';
import type { OutcomeReview, PollPlan, PollTimes } from './poll-plans';
import { draftStances, optionNamesFor, tallyStances, type StanceDraft } from './poll-votes';
import type { SeedContext } from './seed-context';
import { SENTENCES } from './vocabulary';

const GENERAL_POLL_TYPES: readonly PollType[] = [
  'proposal',
  'proposal',
  'poll',
  'count',
  'score',
  'ranked_choice',
  'meeting',
  'dot_vote',
  'check',
  'question',
];

export interface SeededPoll {
  id: number;
  key: string;
  group: SeedGroup;
  discussionId: number | null;
  authorId: number;
  title: string;
  details: string;
  createdAt: Date;
  /** poll_created first; its stances, expiry and outcome hang under it. */
  items: ThreadItem[];
  tags: string[];
}

export interface PollPlacement {
  group: SeedGroup;
  author: SeedUser;
  discussionId: number | null;
  title: string;
  tags: string[];
  /** The group's enabled chatbots. */
  chatbotIds: number[];
}

export async function seedPoll(
  ctx: SeedContext,
  plan: PollPlan,
  { createdAt, closingAt, closedAt }: PollTimes,
  { group, author, discussionId, title, tags, chatbotIds }: PollPlacement,
): Promise<SeededPoll> {
  const { random } = ctx;
  const id = ctx.nextId(Poll);
  const key = random.key(10);
  const pollType = plan.pollType ?? random.pick(GENERAL_POLL_TYPES);
  const optionNames = optionNamesFor(ctx, pollType, closingAt);
  const optionIds = optionNames.map(() => ctx.nextId(PollOption));
  const stances = draftStances(ctx, group, pollType, optionNames.length, createdAt, closedAt);
  const tally = tallyStances(stances, optionNames.length);

  const details = `<p>${random.pick(SENTENCES)}</p><p>${random.pick(SENTENCES)}</p>`;
  const notify = plan.notifyOnClosingSoon ?? random.pick([0, 1, 2, 3] as const);
  await ctx.insert(Poll, {
    id,
    groupId: group.id,
    discussionId,
    authorId: author.id,
    key,
    title,
    details,
    detailsFormat: 'html',
    pollType,
    tags,
    closingAt,
    closedAt,
    discardedAt: plan.discarded ? ctx.daysAgo(1) : null,
    anonymous: plan.anonymous ?? false,
    hideResults: plan.hideResults ?? 'off',
    notifyOnClosingSoon: notify,
    closingSoonNotifiedFor:
      plan.closingSoonNotified === 'for-this-closing-time'
        ? closingAt
        : plan.closingSoonNotified === 'for-an-earlier-closing-time'
          ? addHours(closingAt, -random.int(30, 72))
          : // Polls closed long ago were notified like any other.
            closedAt && notify > 0
            ? closingAt
            : null,
    votersCount: tally.voters,
    undecidedCount: tally.undecided,
    stancesCount: tally.voters + tally.undecided,
    createdAt,
    updatedAt: closedAt ?? createdAt,
  });
  for (const [index, name] of optionNames.entries()) {
    await ctx.insert(PollOption, {
      id: optionIds[index],
      pollId: id,
      name,
      priority: index,
      ...tally.options[index],
      createdAt,
      updatedAt: closedAt ?? createdAt,
    });
  }

  const created: ThreadItem = {
    kind: 'poll_created',
    eventableType: 'Poll',
    eventableId: id,
    actorId: author.id,
    at: createdAt,
    // The author may announce a poll to a chatbot that does not follow poll events.
    recipientChatbotIds: random.sample(chatbotIds, random.chance(0.3) ? 1 : 0),
    notify: random
      .sample(stances, 5)
      .map((stance) => stance.member.user.id)
      .filter((userId) => userId !== author.id),
  };
  // A closed anonymous poll no longer knows who cast which stance, nor who cast a stance event.
  const scrubbed = (plan.anonymous ?? false) && closedAt !== null;
  const items = [
    created,
    ...(await writeStances(ctx, stances, { pollId: id, optionIds, author, createdAt, created, scrubbed })),
  ];

  if (closedAt) {
    const closedByExpiry = plan.closingInMinutes < 0;
    items.push({
      kind: closedByExpiry ? 'poll_expired' : 'poll_closed_by_user',
      eventableType: 'Poll',
      eventableId: id,
      actorId: author.id,
      at: closedAt,
      parent: created,
      notify: closedByExpiry ? [author.id] : [],
    });
    if (plan.outcome) {
      const chosenOptionId =
        pollType === 'meeting'
          ? optionIds[indexOfHighest(tally.options.map((option) => option.totalScore))]
          : null;
      items.push(
        await seedOutcome(ctx, {
          review: plan.outcome,
          pollId: id,
          author,
          closedAt,
          title,
          chosenOptionId,
          created,
        }),
      );
    }
  }
  return { id, key, group, discussionId, authorId: author.id, title, details, createdAt, items, tags };
}

interface StancePoll {
  pollId: number;
  optionIds: number[];
  author: SeedUser;
  createdAt: Date;
  created: ThreadItem;
  scrubbed: boolean;
}

/** Writes the stances and their choices; returns the stance_created items of the cast ones. */
async function writeStances(
  ctx: SeedContext,
  stances: StanceDraft[],
  { pollId, optionIds, author, createdAt, created, scrubbed }: StancePoll,
): Promise<ThreadItem[]> {
  const { random } = ctx;
  const items: ThreadItem[] = [];
  for (const stance of stances) {
    await ctx.insert(Stance, {
      id: stance.id,
      pollId,
      participantId: scrubbed ? null : stance.member.user.id,
      latest: stance.latest,
      castAt: stance.castAt,
      revokedAt: stance.revokedAt,
      volume: random.weighted([
        [null, 12],
        [0, 1],
        [1, 1],
        [2, 2],
        [3, 1],
      ] as const),
      optionScores: Object.fromEntries(
        stance.choices.map((choice) => [String(optionIds[choice.optionIndex]), choice.score]),
      ),
      reason: stance.reason,
      reasonFormat: 'html',
      inviterId: author.id,
      createdAt: addMinutes(createdAt, 1),
      updatedAt: stance.castAt ?? addMinutes(createdAt, 1),
    });
    for (const choice of stance.choices) {
      await ctx.insert(StanceChoice, {
        id: ctx.nextId(StanceChoice),
        stanceId: stance.id,
        pollOptionId: optionIds[choice.optionIndex],
        score: choice.score,
        createdAt: stance.castAt ?? createdAt,
      });
    }
    if (stance.castAt) {
      items.push({
        kind: 'stance_created',
        eventableType: 'Stance',
        eventableId: stance.id,
        actorId: scrubbed ? null : stance.member.user.id,
        at: stance.castAt,
        parent: created,
        notify: random.chance(0.2) && !scrubbed ? [author.id] : [],
      });
    }
  }
  return items;
}

function indexOfHighest(values: number[]): number {
  return values.reduce((best, value, index) => (value > values[best] ? index : best), 0);
}

interface OutcomePlan {
  review: OutcomeReview;
  pollId: number;
  author: SeedUser;
  closedAt: Date;
  title: string;
  /** A meeting poll's outcome names the chosen date, which makes its e-mails carry meeting.ics. */
  chosenOptionId: number | null;
  created: ThreadItem;
}

async function seedOutcome(
  ctx: SeedContext,
  { review, pollId, author, closedAt, title, chosenOptionId, created }: OutcomePlan,
): Promise<ThreadItem> {
  const { random } = ctx;
  const id = ctx.nextId(Outcome);
  const writtenAt = ctx.between(addMinutes(closedAt, 30), addMinutes(closedAt, 600));
  const at = writtenAt > ctx.now ? ctx.now : writtenAt;
  const reviewOn = {
    'past-due': addDaysToDay(ctx.today, -3),
    today: ctx.today,
    future: addDaysToDay(ctx.today, 14),
    'already-notified': addDaysToDay(ctx.today, -10),
    none: null,
  }[review];
  await ctx.insert(Outcome, {
    id,
    pollId,
    authorId: author.id,
    statement: `<h2>Outcome</h2><p>Our decision on “${title}”.</p><p>${random.pick(SENTENCES)}</p>`,
    statementFormat: 'html',
    latest: true,
    reviewOn,
    reviewNotifiedFor: review === 'already-notified' ? reviewOn : null,
    pollOptionId: chosenOptionId,
    eventSummary: chosenOptionId ? title : null,
    eventLocation: chosenOptionId
      ? random.pick(['Community hall, 12 River Road', 'https://meet.example.org/plenary'])
      : null,
    createdAt: at,
    updatedAt: at,
  });
  return {
    kind: 'outcome_created',
    eventableType: 'Outcome',
    eventableId: id,
    actorId: author.id,
    at,
    parent: created,
    notify: created.notify,
  };
}

/** A member who may start a poll at `at`; the organiser belongs to every group. */
export function pollAuthor(ctx: SeedContext, group: SeedGroup, at: Date, organiser: SeedUser): SeedUser {
  const candidates = activeMembers(group, at);
  return candidates.length > 0 ? ctx.random.pick(candidates).user : organiser;
}
