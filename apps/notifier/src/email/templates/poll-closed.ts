import type { LocalizedTemplateSources } from './template-source';

/** Variables: recipientName, pollTitle, pollUrl. */
export const pollClosed: LocalizedTemplateSources = {
  en: {
    subject: 'Poll closed: {{pollTitle}}',
    html: `<p>Hi {{recipientName}},</p>
<p>The poll <strong>{{pollTitle}}</strong> has closed.</p>
<p><a href="{{pollUrl}}">See the results</a></p>`,
    text: `Hi {{recipientName}},

The poll "{{pollTitle}}" has closed.

See the results: {{pollUrl}}`,
  },
  de: {
    subject: 'Abstimmung beendet: {{pollTitle}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>Die Abstimmung <strong>{{pollTitle}}</strong> ist beendet.</p>
<p><a href="{{pollUrl}}">Ergebnisse ansehen</a></p>`,
    text: `Hallo {{recipientName}},

Die Abstimmung „{{pollTitle}}“ ist beendet.

Ergebnisse ansehen: {{pollUrl}}`,
  },
};
