import type { CronEntry } from './cron';

/* The notifier's chatbots and webhooks: posting activity to Slack, Discord, Teams, Webex, markdown and JSON endpoints. */

/** Every chatbot job the notifier runs. */
export const ChatbotContracts = [] as const;

export const ChatbotCronEntries: CronEntry[] = [];
