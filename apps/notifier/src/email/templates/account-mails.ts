import type { LocalizedTemplateSources } from './template-source';

/** Variables: recipientName, memberName, groupName, groupUrl. */
export const invitationAccepted: LocalizedTemplateSources = {
  en: {
    subject: '{{memberName}} joined {{groupName}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{memberName}} accepted your invitation and joined <strong>{{groupName}}</strong>.</p>
<p><a href="{{groupUrl}}">Open the group</a></p>`,
    text: `Hi {{recipientName}},

{{memberName}} accepted your invitation and joined "{{groupName}}".

Open the group: {{groupUrl}}`,
  },
  de: {
    subject: '{{memberName}} ist {{groupName}} beigetreten',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{memberName}} hat deine Einladung angenommen und ist <strong>{{groupName}}</strong> beigetreten.</p>
<p><a href="{{groupUrl}}">Gruppe öffnen</a></p>`,
    text: `Hallo {{recipientName}},

{{memberName}} hat deine Einladung angenommen und ist „{{groupName}}“ beigetreten.

Gruppe öffnen: {{groupUrl}}`,
  },
};

/** Variables: recipientName, groupName. */
export const groupDestroyWarning: LocalizedTemplateSources = {
  en: {
    subject: '{{groupName}} will be deleted in 14 days',
    html: `<p>Hi {{recipientName}},</p>
<p>The group <strong>{{groupName}}</strong>, of which you are an admin, has been archived and will be deleted with all its content in 14 days.</p>
<p>If this is a mistake, contact support before then to keep it.</p>`,
    text: `Hi {{recipientName}},

The group "{{groupName}}", of which you are an admin, has been archived and will be deleted with all its content in 14 days.

If this is a mistake, contact support before then to keep it.`,
  },
  de: {
    subject: '{{groupName}} wird in 14 Tagen gelöscht',
    html: `<p>Hallo {{recipientName}},</p>
<p>Die Gruppe <strong>{{groupName}}</strong>, die du verwaltest, wurde archiviert und wird mit allen Inhalten in 14 Tagen gelöscht.</p>
<p>Falls das ein Irrtum ist, wende dich vorher an den Support, um sie zu behalten.</p>`,
    text: `Hallo {{recipientName}},

Die Gruppe „{{groupName}}“, die du verwaltest, wurde archiviert und wird mit allen Inhalten in 14 Tagen gelöscht.

Falls das ein Irrtum ist, wende dich vorher an den Support, um sie zu behalten.`,
  },
};

/** Variables: recipientName. */
export const redactionConfirmation: LocalizedTemplateSources = {
  en: {
    subject: 'Your account has been deleted',
    html: `<p>Hi {{recipientName}},</p>
<p>As you asked, your account and your personal data have been deleted. This is the last e-mail we send to this address.</p>`,
    text: `Hi {{recipientName}},

As you asked, your account and your personal data have been deleted. This is the last e-mail we send to this address.`,
  },
  de: {
    subject: 'Dein Konto wurde gelöscht',
    html: `<p>Hallo {{recipientName}},</p>
<p>Wie gewünscht wurden dein Konto und deine persönlichen Daten gelöscht. Dies ist die letzte E-Mail an diese Adresse.</p>`,
    text: `Hallo {{recipientName}},

Wie gewünscht wurden dein Konto und deine persönlichen Daten gelöscht. Dies ist die letzte E-Mail an diese Adresse.`,
  },
};

/** Variables: recipientName, groupName, downloadUrl, expiresAt. */
export const exportReady: LocalizedTemplateSources = {
  en: {
    subject: 'Your export of {{groupName}} is ready',
    html: `<p>Hi {{recipientName}},</p>
<p>The export of <strong>{{groupName}}</strong> you asked for is ready.</p>
<p><a href="{{downloadUrl}}">Download it</a>{{#if expiresAt}} (the link works until {{expiresAt}}){{/if}}.</p>`,
    text: `Hi {{recipientName}},

The export of "{{groupName}}" you asked for is ready.

Download it{{#if expiresAt}} (the link works until {{expiresAt}}){{/if}}: {{downloadUrl}}`,
  },
  de: {
    subject: 'Dein Export von {{groupName}} ist fertig',
    html: `<p>Hallo {{recipientName}},</p>
<p>Der angeforderte Export von <strong>{{groupName}}</strong> ist fertig.</p>
<p><a href="{{downloadUrl}}">Herunterladen</a>{{#if expiresAt}} (der Link gilt bis {{expiresAt}}){{/if}}.</p>`,
    text: `Hallo {{recipientName}},

Der angeforderte Export von „{{groupName}}“ ist fertig.

Herunterladen{{#if expiresAt}} (der Link gilt bis {{expiresAt}}){{/if}}: {{downloadUrl}}`,
  },
};

/** Variables: recipientName, taskName, dueOn, taskUrl. */
export const taskReminder: LocalizedTemplateSources = {
  en: {
    subject: 'Reminder: {{taskName}}',
    html: `<p>Hi {{recipientName}},</p>
<p>Your task <strong>{{taskName}}</strong> is due{{#if dueOn}} on {{dueOn}}{{/if}}.</p>
<p><a href="{{taskUrl}}">Open it</a></p>`,
    text: `Hi {{recipientName}},

Your task "{{taskName}}" is due{{#if dueOn}} on {{dueOn}}{{/if}}.

Open it: {{taskUrl}}`,
  },
  de: {
    subject: 'Erinnerung: {{taskName}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>Deine Aufgabe <strong>{{taskName}}</strong> ist fällig{{#if dueOn}} am {{dueOn}}{{/if}}.</p>
<p><a href="{{taskUrl}}">Öffnen</a></p>`,
    text: `Hallo {{recipientName}},

Deine Aufgabe „{{taskName}}“ ist fällig{{#if dueOn}} am {{dueOn}}{{/if}}.

Öffnen: {{taskUrl}}`,
  },
};

/** Variables: recipientName, since, threads [{title, url, items}], dashboardUrl. */
export const catchUp: LocalizedTemplateSources = {
  en: {
    subject: 'Catch up on what happened since {{since}}',
    html: `<p>Hi {{recipientName}},</p>
<p>Here is what is new since {{since}}:</p>
<ul>
{{#each threads}}<li><a href="{{url}}">{{title}}</a>: {{items}} new</li>
{{/each}}</ul>
<p><a href="{{dashboardUrl}}">Open your dashboard</a></p>`,
    text: `Hi {{recipientName}},

Here is what is new since {{since}}:

{{#each threads}}- {{title}}: {{items}} new
  {{url}}
{{/each}}
Open your dashboard: {{dashboardUrl}}`,
  },
  de: {
    subject: 'Was seit {{since}} passiert ist',
    html: `<p>Hallo {{recipientName}},</p>
<p>Das ist neu seit {{since}}:</p>
<ul>
{{#each threads}}<li><a href="{{url}}">{{title}}</a>: {{items}} neu</li>
{{/each}}</ul>
<p><a href="{{dashboardUrl}}">Übersicht öffnen</a></p>`,
    text: `Hallo {{recipientName}},

Das ist neu seit {{since}}:

{{#each threads}}- {{title}}: {{items}} neu
  {{url}}
{{/each}}
Übersicht öffnen: {{dashboardUrl}}`,
  },
};
