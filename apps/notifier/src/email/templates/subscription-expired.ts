import type { LocalizedTemplateSources } from './template-source';

/** Variables: recipientName, groupName, groupUrl, expiresAt. */
export const subscriptionExpired: LocalizedTemplateSources = {
  en: {
    subject: 'The subscription of {{groupName}} has ended',
    html: `<p>Hi {{recipientName}},</p>
<p>The paid subscription of <strong>{{groupName}}</strong>, of which you are an admin, ended on {{expiresAt}}.</p>
<p><a href="{{groupUrl}}">Renew it from the group's settings</a></p>`,
    text: `Hi {{recipientName}},

The paid subscription of "{{groupName}}", of which you are an admin, ended on {{expiresAt}}.

Renew it from the group's settings: {{groupUrl}}`,
  },
  de: {
    subject: 'Das Abonnement von {{groupName}} ist abgelaufen',
    html: `<p>Hallo {{recipientName}},</p>
<p>Das bezahlte Abonnement von <strong>{{groupName}}</strong>, die du verwaltest, ist am {{expiresAt}} abgelaufen.</p>
<p><a href="{{groupUrl}}">In den Gruppeneinstellungen verlängern</a></p>`,
    text: `Hallo {{recipientName}},

Das bezahlte Abonnement von „{{groupName}}“, die du verwaltest, ist am {{expiresAt}} abgelaufen.

In den Gruppeneinstellungen verlängern: {{groupUrl}}`,
  },
};
