import { Stance, type PollType, type ScoreCounts } from '../entities';
import { addDaysToDay, addMinutes, utcDay } from './clock';
import type { SeedGroup, SeedMember } from './community';
import type { SeedContext } from './seed-context';
import { SENTENCES } from './vocabulary';

export interface StanceDraft {
  id: number;
  member: SeedMember;
  latest: boolean;
  castAt: Date | null;
  revokedAt: Date | null;
  choices: Array<{ optionIndex: number; score: number }>;
  reason: string | null;
}

export function draftStances(
  ctx: SeedContext,
  group: SeedGroup,
  pollType: PollType,
  optionCount: number,
  createdAt: Date,
  closedAt: Date | null,
): StanceDraft[] {
  const { random } = ctx;
  const closed = closedAt !== null;
  const votingEndsAt = closedAt ?? ctx.now;
  // An open poll also invited the member deactivated since, whose stance deactivation revoked.
  const invited = group.members.filter(
    (member) =>
      member.joinedAt <= createdAt &&
      (member.user.active ||
        (!closed &&
          member.user.role === 'deactivated' &&
          (member.user.deactivatedAt ?? ctx.now) > createdAt)),
  );
  const participants = random.sample(invited, Math.ceil(invited.length * (0.6 + random.next() * 0.4)));
  const drafts: StanceDraft[] = [];
  for (const member of participants) {
    const revokedAt = member.user.active ? null : member.user.deactivatedAt;
    const lastMoment = revokedAt ?? votingEndsAt;
    const cast = random.chance(closed ? 0.8 : 0.55);
    const castAt = cast ? ctx.between(addMinutes(createdAt, 10), lastMoment) : null;
    if (castAt && random.chance(0.1)) {
      // Changed their mind: the earlier vote stays as a stance that is no longer the latest.
      const earlierAt = ctx.between(addMinutes(createdAt, 5), castAt);
      drafts.push(draftStance(ctx, member, pollType, optionCount, earlierAt, revokedAt, false));
    }
    drafts.push(draftStance(ctx, member, pollType, optionCount, castAt, revokedAt, true));
  }
  return drafts;
}

export function draftStance(
  ctx: SeedContext,
  member: SeedMember,
  pollType: PollType,
  optionCount: number,
  castAt: Date | null,
  revokedAt: Date | null,
  latest: boolean,
): StanceDraft {
  const { random } = ctx;
  return {
    id: ctx.nextId(Stance),
    member,
    latest,
    castAt,
    revokedAt,
    choices: castAt ? choicesFor(ctx, pollType, optionCount) : [],
    reason: castAt && random.chance(0.5) ? `<p>${random.pick(SENTENCES)}</p>` : null,
  };
}

/** A vote as each poll type records it. */
export function choicesFor(
  ctx: SeedContext,
  pollType: PollType,
  optionCount: number,
): StanceDraft['choices'] {
  const { random } = ctx;
  const indexes = [...Array(optionCount).keys()];
  switch (pollType) {
    case 'question':
      return [];
    case 'score':
      return indexes.map((optionIndex) => ({ optionIndex, score: random.int(0, 5) }));
    case 'ranked_choice':
      // Rank points: the first choice gets the most.
      return random
        .sample(indexes, optionCount)
        .map((optionIndex, rank) => ({ optionIndex, score: optionCount - rank }));
    case 'meeting':
      // 2 can attend, 1 maybe, 0 cannot.
      return indexes.map((optionIndex) => ({
        optionIndex,
        score: random.weighted([
          [2, 5],
          [1, 2],
          [0, 2],
        ] as const),
      }));
    case 'dot_vote': {
      const dots = new Map<number, number>();
      for (let dot = 0; dot < 8; dot++) {
        const optionIndex = random.pick(indexes);
        dots.set(optionIndex, (dots.get(optionIndex) ?? 0) + 1);
      }
      return [...dots].map(([optionIndex, score]) => ({ optionIndex, score }));
    }
    default:
      return [
        {
          optionIndex: random.weighted(indexes.map((index) => [index, optionCount - index] as const)),
          score: 1,
        },
      ];
  }
}

export function optionNamesFor(ctx: SeedContext, pollType: PollType, closingAt: Date): string[] {
  const { random } = ctx;
  switch (pollType) {
    case 'proposal':
      return ['agree', 'abstain', 'disagree', 'block'];
    case 'count':
    case 'check':
      return ['yes', 'no'];
    case 'question':
      return [];
    case 'meeting': {
      // Candidate dates after the poll closes, at 18:00 UTC.
      const firstDay = addDaysToDay(utcDay(closingAt), 2);
      return [0, 1, 2, 3]
        .slice(0, random.int(3, 4))
        .map((offset) => `${addDaysToDay(firstDay, offset * 2)}T18:00:00.000Z`);
    }
    default:
      return random.sample(
        [
          'Saturday workshop',
          'Online session',
          'Hire a contractor',
          'Do it ourselves',
          'Wait until spring',
          'Ask the council',
        ],
        random.int(3, 5),
      );
  }
}

export interface OptionTally {
  voterCount: number;
  totalScore: number;
  scoreCounts: ScoreCounts;
}

/** Poll and option counts over each participant's latest stance that is still valid. */
export function tallyStances(stances: StanceDraft[], optionCount: number) {
  const options: OptionTally[] = Array.from({ length: optionCount }, () => ({
    voterCount: 0,
    totalScore: 0,
    scoreCounts: {},
  }));
  let voters = 0;
  let undecided = 0;
  for (const stance of stances.filter((draft) => draft.latest && !draft.revokedAt)) {
    if (stance.castAt) voters++;
    else undecided++;
    for (const choice of stance.choices) {
      const tally = options[choice.optionIndex];
      if (choice.score > 0) tally.voterCount++;
      tally.totalScore += choice.score;
      tally.scoreCounts[choice.score] = (tally.scoreCounts[choice.score] ?? 0) + 1;
    }
  }
  return { voters, undecided, options };
}
