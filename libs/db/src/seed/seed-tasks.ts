import { Task, TaskUser, type RecordType } from '../entities';
import { addDays, addDaysToDay, addMinutes, zonedTimeToUtc } from './clock';
import { activeMembers, type Community, type SeedGroup, type SeedUser } from './community';
import type { SeedContext } from './seed-context';
import { TASK_NAMES } from './vocabulary';

interface TaskRecord {
  recordType: RecordType;
  recordId: number;
  author: SeedUser;
  createdAt: Date;
}

/** Where a community's first tasks stand, so that even one community shows every reminder state. */
const GUARANTEED_STATES = ['reminder-due', 'reminder-later', 'reminded', 'done'] as const;
type TaskState = (typeof GUARANTEED_STATES)[number] | 'any';

/** True until the community has a task in each guaranteed state. */
export function needsGuaranteedTasks(community: Community): boolean {
  return community.tasksSeeded < GUARANTEED_STATES.length;
}

/**
 * Writes a task (and its assignees) living in a record's rich text and returns the task-list markup for
 * that text. `remind_at` is the due day at 06:00 in the author's zone, `remind` days earlier.
 */
export async function seedTask(
  ctx: SeedContext,
  community: Community,
  group: SeedGroup,
  record: TaskRecord,
): Promise<string> {
  const { random } = ctx;
  const state: TaskState = needsGuaranteedTasks(community) ? GUARANTEED_STATES[community.tasksSeeded] : 'any';
  community.tasksSeeded++;

  const { dueOn, remind } = {
    // Due tomorrow, remind two days ahead: the reminder time passed in every zone.
    'reminder-due': { dueOn: addDaysToDay(ctx.today, 1), remind: 2 },
    'reminder-later': { dueOn: addDaysToDay(ctx.today, 10), remind: 1 },
    reminded: { dueOn: addDaysToDay(ctx.today, 1), remind: 3 },
    done: { dueOn: addDaysToDay(ctx.today, -2), remind: 1 },
    any: {
      dueOn: random.chance(0.85) ? addDaysToDay(ctx.today, random.int(-5, 21)) : null,
      remind: random.weighted([
        [null, 3],
        [0, 1],
        [1, 3],
        [2, 2],
        [7, 1],
      ] as const),
    },
  }[state];
  const remindAt =
    dueOn !== null && remind !== null
      ? addDays(zonedTimeToUtc(dueOn, 6, record.author.timeZone ?? 'UTC'), -remind)
      : null;
  const done = state === 'done' || (state === 'any' && random.chance(0.25));
  const reminderPassed = remindAt !== null && remindAt <= ctx.now;
  const reminded = state === 'reminded' || (state === 'any' && !done && reminderPassed && random.chance(0.5));
  const remindedAt = reminded && remindAt ? addMinutes(remindAt, random.int(1, 50)) : null;
  const id = ctx.nextId(Task);
  const uid = random.int(100_000, 999_999);
  const name = random.pick(TASK_NAMES);
  const doneAt = done ? ctx.between(record.createdAt, ctx.now) : null;

  await ctx.insert(Task, {
    id,
    recordType: record.recordType,
    recordId: record.recordId,
    authorId: record.author.id,
    uid,
    name,
    done,
    doneAt,
    dueOn,
    remind,
    remindAt,
    remindedAt,
    discardedAt: state === 'any' && random.chance(0.05) ? ctx.daysAgo(1) : null,
    createdAt: record.createdAt,
    updatedAt: doneAt ?? record.createdAt,
  });

  // Assignees include, now and then, a deactivated member: the reminder must skip them.
  const assignable = [
    ...activeMembers(group).map((member) => member.user),
    ...group.members
      .filter((member) => member.user.role === 'deactivated-still-member')
      .map((member) => member.user),
  ];
  for (const assignee of random.sample(assignable, random.int(1, 3))) {
    await ctx.insert(TaskUser, {
      id: ctx.nextId(TaskUser),
      taskId: id,
      userId: assignee.id,
      createdAt: record.createdAt,
      updatedAt: record.createdAt,
    });
  }
  return (
    `<ul data-type="taskList"><li data-type="taskItem" data-uid="${uid}" data-checked="${done}"` +
    `${dueOn ? ` data-due-on="${dueOn}"` : ''}>${name}</li></ul>`
  );
}
