import { z } from 'zod';
import { defineJob } from './contract';
import type { CronEntry } from './cron';
import { Id } from './ids';

/* The notifier's chatbots and webhooks: posting activity to Slack, Discord, Teams, Webex, markdown and JSON endpoints. */

const PostToChatbotSchema = z.object({
  chatbotId: Id,
  eventId: Id,
  /**
   * Throttling keys, set by the fan-out from the chatbot's URL at enqueue time. A hash of the URL (it carries
   * the webhook's credentials) and its lower-case host name; absent, the chatbot id stands in for both.
   */
  urlKey: z
    .string()
    .regex(/^[0-9a-f]{16,64}$/)
    .optional(),
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9.:[\]_-]+$/)
    .optional(),
});

export const PostToChatbot = defineJob({
  subject: 'jobs.notifier.post-to-chatbot',
  description:
    'POST one activity (an `events` row) to one chatbot in its format, signed with its secret; a retry re-posts to that chatbot only, and a post that already succeeded is never repeated.',
  // Ids only (plus opaque throttling keys): the message (names, titles) is rendered at send time from the database.
  schema: PostToChatbotSchema,
  options: {
    priority: 'default',
    // 5xx and timeouts retry for about a day; 429 waits for Retry-After without spending an attempt.
    maxAttempts: 12,
    backoff: { type: 'exponential', initialDelayMs: 15_000, maxDelayMs: 3 * 3600_000 },
    // The POST itself is capped at 10 s; the rest is reading the activity and recording the outcome.
    timeoutMs: 30_000,
    // Chat services throttle incoming webhooks (Slack: about one message a second per webhook).
    rateLimit: { key: (job) => job.urlKey ?? `chatbot-${job.chatbotId}`, limit: 1, per: 1000 },
    // Many groups post to the same service (hooks.slack.com); a slow one must not take every worker.
    concurrencyPerKey: { key: (job) => job.host ?? `chatbot-${job.chatbotId}`, limit: 2 },
  },
});

/** Every chatbot job the notifier runs. */
export const ChatbotContracts = [PostToChatbot] as const;

export const ChatbotCronEntries: CronEntry[] = [];
