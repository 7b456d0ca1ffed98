import type { LocalizedTemplateSources } from './template-source';

/** Variables: recipientName, pollTitle, pollUrl, closingAt (already formatted for the locale and zone). */
export const pollClosingSoon: LocalizedTemplateSources = {
  en: {
    subject: 'Closing soon: {{pollTitle}}',
    html: `<p>Hi {{recipientName}},</p>
<p>The poll <strong>{{pollTitle}}</strong> closes on {{closingAt}}.</p>
<p><a href="{{pollUrl}}">Have your say</a></p>`,
    text: `Hi {{recipientName}},

The poll "{{pollTitle}}" closes on {{closingAt}}.

Have your say: {{pollUrl}}`,
  },
  de: {
    subject: 'Endet bald: {{pollTitle}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>Die Abstimmung <strong>{{pollTitle}}</strong> endet am {{closingAt}}.</p>
<p><a href="{{pollUrl}}">Jetzt mitentscheiden</a></p>`,
    text: `Hallo {{recipientName}},

Die Abstimmung „{{pollTitle}}“ endet am {{closingAt}}.

Jetzt mitentscheiden: {{pollUrl}}`,
  },
};
