import type { ChatbotKind } from '@lib/db';
import type { ChatbotActivity } from './chatbot-activity';

/** How each kind of activity reads in a chat: "<actor> <verb> <title>". */
const Verbs: Record<string, string> = {
  new_discussion: 'started a discussion',
  discussion_edited: 'edited the discussion',
  new_comment: 'commented in',
  comment_replied_to: 'replied in',
  poll_created: 'started a poll',
  poll_edited: 'edited the poll',
  poll_announced: 'announced the poll',
  poll_closing_soon: 'is closing soon:',
  poll_expired: 'has closed:',
  poll_closed_by_user: 'closed the poll',
  poll_reopened: 'reopened the poll',
  stance_created: 'voted in',
  stance_updated: 'changed their vote in',
  outcome_created: 'shared the outcome of',
  outcome_updated: 'updated the outcome of',
  user_mentioned: 'mentioned someone in',
  membership_requested: 'asked to join',
  user_joined_group: 'joined',
  invitation_accepted: 'accepted an invitation to',
};

/** Kinds about the record itself, with no actor in the sentence ("Budget poll has closed"). */
const ActorlessKinds = new Set(['poll_closing_soon', 'poll_expired']);

/** The sentence without markup, e.g. "Alice started a poll". */
export function headline(activity: ChatbotActivity): string {
  const verb = Verbs[activity.kind] ?? activity.kind.replace(/_/g, ' ');
  if (ActorlessKinds.has(activity.kind)) return `Poll ${verb}`.replace(/:$/, '');
  return `${activity.actorName ?? 'Someone'} ${verb}`;
}

/** The JSON body posted to a chatbot of this kind. */
export function renderChatbotPayload(kind: ChatbotKind, activity: ChatbotActivity): unknown {
  switch (kind) {
    case 'slack':
      return slack(activity);
    case 'discord':
      return discord(activity);
    case 'microsoft':
      return microsoftTeams(activity);
    case 'webex':
      return { markdown: markdown(activity) };
    case 'markdown':
      return { text: markdown(activity) };
    case 'json':
      return json(activity);
  }
}

function slack(activity: ChatbotActivity): unknown {
  const link = `<${activity.url}|${slackEscape(activity.title)}>`;
  return {
    text: `${headline(activity)}: ${activity.title}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${slackEscape(headline(activity))}: *${link}*` } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `<${activity.group.url}|${slackEscape(activity.group.name)}>` }],
      },
    ],
  };
}

function discord(activity: ChatbotActivity): unknown {
  return {
    content: truncate(`${headline(activity)}: ${activity.title}`, 2000),
    embeds: [
      {
        title: truncate(activity.title, 256),
        url: activity.url,
        description: truncate(headline(activity), 4096),
        timestamp: activity.occurredAt.toISOString(),
        footer: { text: truncate(activity.group.name, 2048) },
      },
    ],
    // A title such as "@everyone vote now" must not ping the channel.
    allowed_mentions: { parse: [] },
  };
}

function microsoftTeams(activity: ChatbotActivity): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: headline(activity), wrap: true },
            { type: 'TextBlock', text: activity.title, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: activity.group.name, isSubtle: true, spacing: 'None', wrap: true },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open in Loomio', url: activity.url }],
        },
      },
    ],
  };
}

function markdown(activity: ChatbotActivity): string {
  return (
    `${markdownEscape(headline(activity))}: **[${markdownEscape(activity.title)}](${activity.url})**\n\n` +
    `[${markdownEscape(activity.group.name)}](${activity.group.url})`
  );
}

function json(activity: ChatbotActivity): unknown {
  return {
    event: {
      id: activity.eventId,
      kind: activity.kind,
      occurredAt: activity.occurredAt.toISOString(),
      url: activity.url,
    },
    record:
      activity.recordType === null
        ? null
        : { type: activity.recordType, id: activity.recordId, title: activity.title },
    actor: activity.actorName === null ? null : { name: activity.actorName },
    discussion: activity.discussion,
    group: activity.group,
    text: `${headline(activity)}: ${activity.title}`,
  };
}

/** Slack's mrkdwn gives `&`, `<` and `>` meaning; a title containing `<!channel>` must stay text. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function markdownEscape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
