import { Chatbot, CHATBOT_KINDS, MailDelivery, ReceivedEmail, type MailDeliveryStatus } from '../entities';
import { addMinutes } from './clock';
import type { Community } from './community';
import type { SeedContext } from './seed-context';
import type { NotifiedRecipient } from './thread-events';
import { SENTENCES } from './vocabulary';

const EVENT_KINDS = [
  'new_discussion',
  'new_comment',
  'poll_created',
  'poll_closing_soon',
  'poll_expired',
  'outcome_created',
];

export async function seedChatbots(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  const topGroups = community.groups.filter((group) => group.parentId === null);
  for (const [index, kind] of CHATBOT_KINDS.entries()) {
    const group = topGroups[index % topGroups.length];
    const createdAt = ctx.daysAgo(random.int(100, 300));
    // One chatbot per state a worker treats differently.
    const state = (
      ['healthy', 'failing', 'disabled-long-ago', 'healthy', 'disabled-recently', 'discarded'] as const
    )[index];
    const disabledAt =
      state === 'disabled-long-ago' || state === 'discarded'
        ? ctx.daysAgo(random.int(95, 150))
        : state === 'disabled-recently'
          ? ctx.daysAgo(4)
          : null;
    const id = ctx.nextId(Chatbot);
    if (!disabledAt) community.enabledChatbots.push({ id, groupId: group.id });
    await ctx.insert(Chatbot, {
      id,
      groupId: group.id,
      authorId: community.organiser.id,
      name: `${group.name} ${kind}`,
      kind,
      // The .invalid TLD never resolves, so a worker run against the demo posts nowhere.
      url: `https://${kind}.chat.invalid/hooks/${random.hex(24)}`,
      secret: random.hex(32),
      eventKinds: random.sample(EVENT_KINDS, random.int(2, EVENT_KINDS.length)),
      disabledAt,
      discardedAt: state === 'discarded' ? ctx.daysAgo(2) : null,
      failureCount: state === 'failing' ? 3 : state.startsWith('disabled') ? 10 : 0,
      lastFailureAt: state === 'failing' || disabledAt ? (disabledAt ?? ctx.hoursAgo(2)) : null,
      lastError: state === 'failing' ? 'HTTP 503 Service Unavailable' : disabledAt ? 'HTTP 410 Gone' : null,
      createdAt,
      updatedAt: disabledAt ?? createdAt,
    });
  }
}

export async function seedReceivedEmails(ctx: SeedContext, community: Community): Promise<void> {
  const { random } = ctx;
  // delete-old-received-emails removes those older than 60 days; route-received-emails takes unreleased ones.
  const mails = [
    { daysAgo: 0, released: false },
    { daysAgo: 1, released: false },
    { daysAgo: 3, released: true },
    { daysAgo: 61, released: true },
    { daysAgo: 75, released: false },
  ];
  for (const mail of mails) {
    const sender = random.pick(community.users.filter((user) => user.email));
    const group = random.pick(community.groups);
    const createdAt = ctx.hoursAgo(mail.daysAgo * 24 + random.int(0, 12));
    const text = `${random.pick(SENTENCES)}\n\n${random.pick(SENTENCES)}`;
    await ctx.insert(ReceivedEmail, {
      id: ctx.nextId(ReceivedEmail),
      groupId: mail.released ? group.id : null,
      headers: {
        from: `${sender.name} <${sender.email}>`,
        to: `${group.handle}@reply.example.org`,
        subject: `Re: ${random.pick(group.template.topics)}`,
        'message-id': `<${random.hex(16)}@mail.example.net>`,
      },
      bodyText: text,
      bodyHtml: `<p>${text.replace('\n\n', '</p><p>')}</p>`,
      spfValid: random.chance(0.9),
      dkimValid: random.chance(0.85),
      released: mail.released,
      createdAt,
      updatedAt: createdAt,
    });
  }
}

export async function seedMailDeliveries(
  ctx: SeedContext,
  community: Community,
  notified: NotifiedRecipient[],
): Promise<void> {
  const { random } = ctx;
  const usersById = new Map(community.users.map((user) => [user.id, user]));
  for (const recipient of notified) {
    const user = usersById.get(recipient.userId);
    if (!user?.email) continue;
    const status: MailDeliveryStatus =
      user.role === 'spam-complaint'
        ? 'skipped'
        : random.weighted([
            ['sent', 20],
            ['bounced', 1],
            ['failed', 1],
          ] as const);
    const sentAt = status === 'sent' ? addMinutes(recipient.at, 2) : null;
    await ctx.insert(MailDelivery, {
      id: ctx.nextId(MailDelivery),
      dedupeKey: `event:${recipient.eventId}:user:${recipient.userId}`,
      recipientId: recipient.userId,
      toAddress: user.email,
      kind: recipient.kind,
      status,
      error: {
        sent: null,
        skipped: 'recipient reported our mail as spam',
        bounced: '550 5.1.1 mailbox unavailable',
        failed: '421 4.7.0 try again later',
        pending: null,
      }[status],
      messageId: sentAt ? `<${random.hex(20)}@notifier.example.org>` : null,
      sentAt,
      createdAt: addMinutes(recipient.at, 1),
      updatedAt: sentAt ?? addMinutes(recipient.at, 1),
    });
  }
}
