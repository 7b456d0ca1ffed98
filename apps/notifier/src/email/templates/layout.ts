import type { LayoutSource } from './template-source';

export const layout: { en: LayoutSource } & Partial<Record<string, LayoutSource>> = {
  en: {
    html: `<!DOCTYPE html>
<html lang="en">
<body style="font-family: sans-serif; line-height: 1.5;">
{{{body}}}
<hr>
<p style="font-size: small; color: #666;">You receive this e-mail because of your notification settings.
<a href="{{unsubscribeUrl}}">Unsubscribe or change your e-mail settings</a>.</p>
</body>
</html>
`,
    text: `{{{body}}}

--
You receive this e-mail because of your notification settings.
Unsubscribe or change your e-mail settings: {{unsubscribeUrl}}
`,
  },
  de: {
    html: `<!DOCTYPE html>
<html lang="de">
<body style="font-family: sans-serif; line-height: 1.5;">
{{{body}}}
<hr>
<p style="font-size: small; color: #666;">Du erhältst diese E-Mail aufgrund deiner Benachrichtigungseinstellungen.
<a href="{{unsubscribeUrl}}">Abbestellen oder E-Mail-Einstellungen ändern</a>.</p>
</body>
</html>
`,
    text: `{{{body}}}

--
Du erhältst diese E-Mail aufgrund deiner Benachrichtigungseinstellungen.
Abbestellen oder E-Mail-Einstellungen ändern: {{unsubscribeUrl}}
`,
  },
};
