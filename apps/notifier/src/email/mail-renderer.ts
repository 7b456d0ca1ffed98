import Handlebars from 'handlebars';
import type { MailKind } from '@lib/contracts';
import { layout } from './templates/layout';
import { membershipInvitation } from './templates/membership-invitation';
import { pollClosed } from './templates/poll-closed';
import { pollClosingSoon } from './templates/poll-closing-soon';
import {
  catchUp,
  exportReady,
  groupDestroyWarning,
  invitationAccepted,
  redactionConfirmation,
  taskReminder,
} from './templates/account-mails';
import {
  commentRepliedTo,
  newComment,
  newDiscussion,
  outcomeCreated,
  outcomeReviewDue,
  pollCreated,
  pollReminder,
  userMentioned,
} from './templates/thread-mails';
import { subscriptionExpired } from './templates/subscription-expired';
import type { LocalizedTemplateSources } from './templates/template-source';

const SourcesByKind: Record<MailKind, LocalizedTemplateSources> = {
  poll_closing_soon: pollClosingSoon,
  poll_closed: pollClosed,
  membership_invitation: membershipInvitation,
  poll_created: pollCreated,
  poll_reminder: pollReminder,
  invitation_accepted: invitationAccepted,
  new_discussion: newDiscussion,
  new_comment: newComment,
  comment_replied_to: commentRepliedTo,
  user_mentioned: userMentioned,
  outcome_created: outcomeCreated,
  outcome_review_due: outcomeReviewDue,
  catch_up: catchUp,
  task_reminder: taskReminder,
  group_destroy_warning: groupDestroyWarning,
  redaction_confirmation: redactionConfirmation,
  export_ready: exportReady,
  subscription_expired: subscriptionExpired,
};

export const FallbackLocale = 'en';

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
  /** The language actually used, after falling back. */
  locale: string;
}

type Render = Handlebars.TemplateDelegate<Record<string, unknown>>;

interface CompiledMail {
  subject: Render;
  html: Render;
  text: Render;
  layoutHtml: Render;
  layoutText: Render;
}

/**
 * All templates compiled once, at construction: a broken template stops the service at boot rather than
 * failing mails one by one. The templates are TypeScript strings because `nest build` copies no other files.
 */
export class MailRenderer {
  private readonly compiled = new Map<string, CompiledMail>();

  constructor() {
    const handlebars = Handlebars.create();
    // strict: a variable missing from the data is a bug in the loader, not an empty string in a sent mail.
    const compile = (source: string, escape: boolean): Render =>
      handlebars.compile(source, { strict: true, noEscape: !escape });
    for (const [kind, sources] of Object.entries(SourcesByKind)) {
      for (const [locale, source] of Object.entries(sources)) {
        if (!source) continue;
        const frame = layout[locale] ?? layout.en;
        this.compiled.set(`${kind}:${locale}`, {
          subject: compile(source.subject, false),
          html: compile(source.html, true),
          text: compile(source.text, false),
          layoutHtml: compile(frame.html, true),
          layoutText: compile(frame.text, false),
        });
      }
    }
  }

  /** `de-CH` or `de_CH` uses `de`; a language without templates uses English. */
  static languageOf(locale: string | null | undefined): string {
    return (locale ?? FallbackLocale).split(/[-_]/)[0].toLowerCase();
  }

  /** The language a mail of this kind is written in for this locale: its own when templates exist, else English. */
  languageFor(kind: MailKind, locale: string | null | undefined): string {
    const language = MailRenderer.languageOf(locale);
    return this.compiled.has(`${kind}:${language}`) ? language : FallbackLocale;
  }

  render(kind: MailKind, locale: string | null | undefined, data: Record<string, unknown>): RenderedMail {
    const used = this.languageFor(kind, locale);
    const mail = this.compiled.get(`${kind}:${used}`);
    if (!mail) throw new Error(`No ${FallbackLocale} templates for mail kind ${kind}`);
    return {
      // A subject is one header line: a title with a line break must not start a second header.
      subject: mail.subject(data).replace(/\s+/g, ' ').trim(),
      html: mail.layoutHtml({ ...data, body: mail.html(data) }),
      text: mail.layoutText({ ...data, body: mail.text(data) }),
      locale: used,
    };
  }
}
