import {
  Attachment,
  BlockedDomain,
  Document,
  Export,
  GroupStatistic,
  Import,
  Tag,
  Version,
} from '../entities';
import { addDays, addMinutes, mondayOf, utcDay } from './clock';
import type { Community } from './community';
import type { SeedContext } from './seed-context';
import { seedMailDeliveries, seedReceivedEmails } from './seed-integrations';
import type { NotifiedRecipient } from './thread-events';
import { DISPOSABLE_MAIL_DOMAINS } from './vocabulary';

const TAG_COLORS = ['#e57373', '#64b5f6', '#81c784', '#ffb74d', '#ba68c8', '#4db6ac'];

/** Everything around the threads: mail in and out, files, exports, imports, statistics, tags. */
export async function seedOperations(
  ctx: SeedContext,
  community: Community,
  notified: NotifiedRecipient[],
): Promise<void> {
  await seedReceivedEmails(ctx, community);
  await seedDocumentsAndAttachments(ctx, community);
  await seedExportsAndImports(ctx, community);
  await seedMailDeliveries(ctx, community, notified);
  await seedGroupStatistics(ctx, community);
  await seedTags(ctx, community);
  await seedUserVersions(ctx, community);
}

/** Written once, whatever the scale: the list is global. */
export async function seedBlockedDomains(ctx: SeedContext): Promise<void> {
  for (const name of DISPOSABLE_MAIL_DOMAINS) {
    await ctx.insert(BlockedDomain, { id: ctx.nextId(BlockedDomain), name, createdAt: ctx.daysAgo(20) });
  }
}

async function seedDocumentsAndAttachments(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  for (const group of community.groups.filter((candidate) => candidate.parentId === null)) {
    const createdAt = ctx.between(group.createdAt, ctx.now);
    await ctx.insert(Document, {
      id: ctx.nextId(Document),
      recordType: 'Group',
      recordId: group.id,
      groupId: group.id,
      authorId: community.organiser.id,
      title: 'Terms of reference',
      url: `https://docs.example.org/${group.handle}/terms`,
      doctype: 'other',
      key: null,
      filename: null,
      deletedAt: null,
      createdAt,
      updatedAt: createdAt,
    });
    // undelete-attachment: deleted 10 days ago is still in the trash, 40 days ago is purged.
    for (const deletedDaysAgo of [null, null, 10, 40]) {
      const filename = random.pick([
        'budget-2025.xlsx',
        'site-plan.pdf',
        'minutes.docx',
        'photo.jpg',
        'quote.pdf',
      ]);
      const key = `attachments/${random.hex(2)}/${random.hex(28)}`;
      await ctx.insert(Attachment, {
        id: ctx.nextId(Attachment),
        recordType: 'Group',
        recordId: group.id,
        groupId: group.id,
        authorId: community.organiser.id,
        key,
        filename,
        contentType: filename.endsWith('.pdf')
          ? 'application/pdf'
          : filename.endsWith('.jpg')
            ? 'image/jpeg'
            : 'application/octet-stream',
        byteSize: random.int(20_000, 8_000_000),
        checksum: Buffer.from(random.hex(32), 'hex').toString('base64'),
        sourceUrl: null,
        deletedAt: deletedDaysAgo === null ? null : ctx.daysAgo(deletedDaysAgo),
        createdAt,
        updatedAt: createdAt,
      });
    }
  }
}

async function seedExportsAndImports(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  const [group] = community.groups;
  const admin = community.organiser;
  const member = group.members.find(
    (candidate) => candidate.user.active && !group.adminIds.includes(candidate.user.id),
  );
  // delete-expired-exports removes the one that expired yesterday.
  const exports = [
    { status: 'completed', completedDaysAgo: 2, requester: admin.id },
    { status: 'completed', completedDaysAgo: 8, requester: admin.id },
    { status: 'refused', completedDaysAgo: 1, requester: member?.user.id ?? admin.id },
    { status: 'pending', completedDaysAgo: null, requester: admin.id },
  ] as const;
  for (const entry of exports) {
    const completedAt = entry.completedDaysAgo === null ? null : ctx.daysAgo(entry.completedDaysAgo);
    const createdAt = completedAt ? addMinutes(completedAt, -3) : ctx.minutesFromNow(-1);
    const completed = entry.status === 'completed';
    await ctx.insert(Export, {
      id: ctx.nextId(Export),
      groupId: group.id,
      requesterId: entry.requester,
      format: random.pick(['jsonl', 'csv'] as const),
      status: entry.status,
      error: entry.status === 'refused' ? 'Only an admin of the group may export it.' : null,
      objectKey: completed ? `exports/${group.id}/${random.hex(16)}.jsonl` : null,
      sizeBytes: completed ? random.int(50_000, 5_000_000) : null,
      rowCount: completed ? random.int(500, 50_000) : null,
      completedAt,
      expiresAt: completed && completedAt ? addDays(completedAt, 7) : null,
      createdAt,
      updatedAt: completedAt ?? createdAt,
    });
  }
  const imports = [
    {
      status: 'completed',
      processed: 42,
      imported: 39,
      rejected: [{ line: 7, reasons: ['email is invalid'] }],
    },
    { status: 'failed', processed: 120, imported: 100, rejected: [] },
  ] as const;
  for (const entry of imports) {
    const startedAt = ctx.daysAgo(random.int(2, 20));
    const finishedAt = addMinutes(startedAt, 2);
    await ctx.insert(Import, {
      id: ctx.nextId(Import),
      groupId: group.id,
      authorId: admin.id,
      kind: 'members_csv',
      status: entry.status,
      objectKey: `imports/${group.id}/${random.hex(16)}.csv`,
      filename: 'members.csv',
      processedRows: entry.processed,
      importedRows: entry.imported,
      rejectedRows: entry.rejected.map((row) => ({ line: row.line, reasons: [...row.reasons] })),
      error: entry.status === 'failed' ? 'Attempts exhausted: connection to the object store was lost' : null,
      startedAt,
      finishedAt,
      createdAt: startedAt,
      updatedAt: finishedAt,
    });
  }
}

async function seedGroupStatistics(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  const thisMonday = mondayOf(ctx.now);
  for (const group of community.groups) {
    for (let weeksAgo = 1; weeksAgo <= 4; weeksAgo++) {
      const weekStarting = utcDay(addDays(new Date(`${thisMonday}T00:00:00Z`), -7 * weeksAgo));
      const members = group.members.length;
      await ctx.insert(GroupStatistic, {
        id: ctx.nextId(GroupStatistic),
        groupId: group.id,
        weekStarting,
        membersCount: members,
        activeMembersCount: random.int(0, members),
        discussionsCount: random.int(0, 3),
        commentsCount: random.int(0, 40),
        pollsCount: random.int(0, 3),
        votesCount: random.int(0, members * 2),
        // Written by the Monday run after the week.
        createdAt: addDays(new Date(`${weekStarting}T00:00:00Z`), 7),
      });
    }
  }
}

async function seedTags(ctx: SeedContext, community: Community): Promise<void> {
  for (const group of community.groups.filter((candidate) => candidate.parentId === null)) {
    const used = community.tagUse.get(group.id) ?? new Map<string, number>();
    for (const [priority, name] of group.template.tags.entries()) {
      await ctx.insert(Tag, {
        id: ctx.nextId(Tag),
        groupId: group.id,
        name,
        color: TAG_COLORS[priority % TAG_COLORS.length],
        taggingsCount: used.get(name) ?? 0,
        priority,
        createdAt: group.createdAt,
        updatedAt: group.createdAt,
      });
    }
  }
}

/** A few profile edits in the audit trail (redaction deletes a user's). */
async function seedUserVersions(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  for (const user of random.sample(
    community.users.filter((candidate) => candidate.active),
    5,
  )) {
    const at = ctx.between(user.createdAt, ctx.now);
    await ctx.insert(Version, {
      id: ctx.nextId(Version),
      itemType: 'User',
      itemId: user.id,
      event: 'update',
      whodunnit: user.id,
      objectChanges: { time_zone: ['UTC', user.timeZone], name: [user.name, user.name] },
      createdAt: at,
    });
  }
}
