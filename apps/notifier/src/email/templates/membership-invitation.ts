import type { LocalizedTemplateSources } from './template-source';

/** Variables: recipientName, groupName, inviterName (may be empty), invitationUrl. */
export const membershipInvitation: LocalizedTemplateSources = {
  en: {
    subject: 'You are invited to join {{groupName}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{#if inviterName}}{{inviterName}} has invited you{{else}}You have been invited{{/if}} to join <strong>{{groupName}}</strong>.</p>
<p><a href="{{invitationUrl}}">Accept the invitation</a></p>`,
    text: `Hi {{recipientName}},

{{#if inviterName}}{{inviterName}} has invited you{{else}}You have been invited{{/if}} to join "{{groupName}}".

Accept the invitation: {{invitationUrl}}`,
  },
  de: {
    subject: 'Einladung in die Gruppe {{groupName}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{#if inviterName}}{{inviterName}} hat dich{{else}}Du wurdest{{/if}} in die Gruppe <strong>{{groupName}}</strong> eingeladen.</p>
<p><a href="{{invitationUrl}}">Einladung annehmen</a></p>`,
    text: `Hallo {{recipientName}},

{{#if inviterName}}{{inviterName}} hat dich{{else}}Du wurdest{{/if}} in die Gruppe „{{groupName}}“ eingeladen.

Einladung annehmen: {{invitationUrl}}`,
  },
};
