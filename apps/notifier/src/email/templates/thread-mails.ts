import type { LocalizedTemplateSources } from './template-source';

/** Variables: recipientName, actorName, title, url. */
export const newDiscussion: LocalizedTemplateSources = {
  en: {
    subject: 'New thread: {{title}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{actorName}} started a new thread: <strong>{{title}}</strong>.</p>
<p><a href="{{url}}">Read the thread</a></p>`,
    text: `Hi {{recipientName}},

{{actorName}} started a new thread: "{{title}}".

Read the thread: {{url}}`,
  },
  de: {
    subject: 'Neue Diskussion: {{title}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{actorName}} hat eine neue Diskussion begonnen: <strong>{{title}}</strong>.</p>
<p><a href="{{url}}">Diskussion lesen</a></p>`,
    text: `Hallo {{recipientName}},

{{actorName}} hat eine neue Diskussion begonnen: „{{title}}“.

Diskussion lesen: {{url}}`,
  },
};

/** Variables: recipientName, actorName, title (of the thread), url (of the comment). */
export const newComment: LocalizedTemplateSources = {
  en: {
    subject: 'New comment in {{title}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{actorName}} commented in <strong>{{title}}</strong>.</p>
<p><a href="{{url}}">Read the comment</a></p>`,
    text: `Hi {{recipientName}},

{{actorName}} commented in "{{title}}".

Read the comment: {{url}}`,
  },
  de: {
    subject: 'Neuer Kommentar in {{title}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{actorName}} hat in <strong>{{title}}</strong> kommentiert.</p>
<p><a href="{{url}}">Kommentar lesen</a></p>`,
    text: `Hallo {{recipientName}},

{{actorName}} hat in „{{title}}“ kommentiert.

Kommentar lesen: {{url}}`,
  },
};

/** Variables: recipientName, actorName, title (of the thread), url (of the reply). */
export const commentRepliedTo: LocalizedTemplateSources = {
  en: {
    subject: '{{actorName}} replied to you in {{title}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{actorName}} replied to your comment in <strong>{{title}}</strong>.</p>
<p><a href="{{url}}">Read the reply</a></p>`,
    text: `Hi {{recipientName}},

{{actorName}} replied to your comment in "{{title}}".

Read the reply: {{url}}`,
  },
  de: {
    subject: '{{actorName}} hat dir in {{title}} geantwortet',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{actorName}} hat auf deinen Kommentar in <strong>{{title}}</strong> geantwortet.</p>
<p><a href="{{url}}">Antwort lesen</a></p>`,
    text: `Hallo {{recipientName}},

{{actorName}} hat auf deinen Kommentar in „{{title}}“ geantwortet.

Antwort lesen: {{url}}`,
  },
};

/** Variables: recipientName, actorName, title, url. */
export const userMentioned: LocalizedTemplateSources = {
  en: {
    subject: '{{actorName}} mentioned you in {{title}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{actorName}} mentioned you in <strong>{{title}}</strong>.</p>
<p><a href="{{url}}">See where</a></p>`,
    text: `Hi {{recipientName}},

{{actorName}} mentioned you in "{{title}}".

See where: {{url}}`,
  },
  de: {
    subject: '{{actorName}} hat dich in {{title}} erwähnt',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{actorName}} hat dich in <strong>{{title}}</strong> erwähnt.</p>
<p><a href="{{url}}">Ansehen</a></p>`,
    text: `Hallo {{recipientName}},

{{actorName}} hat dich in „{{title}}“ erwähnt.

Ansehen: {{url}}`,
  },
};

/** Variables: recipientName, actorName, pollTitle, pollUrl, closingAt. */
export const pollCreated: LocalizedTemplateSources = {
  en: {
    subject: 'New poll: {{pollTitle}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{actorName}} started a poll: <strong>{{pollTitle}}</strong>{{#if closingAt}}, closing on {{closingAt}}{{/if}}.</p>
<p><a href="{{pollUrl}}">Have your say</a></p>`,
    text: `Hi {{recipientName}},

{{actorName}} started a poll: "{{pollTitle}}"{{#if closingAt}}, closing on {{closingAt}}{{/if}}.

Have your say: {{pollUrl}}`,
  },
  de: {
    subject: 'Neue Abstimmung: {{pollTitle}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{actorName}} hat eine Abstimmung gestartet: <strong>{{pollTitle}}</strong>{{#if closingAt}}, sie endet am {{closingAt}}{{/if}}.</p>
<p><a href="{{pollUrl}}">Jetzt mitentscheiden</a></p>`,
    text: `Hallo {{recipientName}},

{{actorName}} hat eine Abstimmung gestartet: „{{pollTitle}}“{{#if closingAt}}, sie endet am {{closingAt}}{{/if}}.

Jetzt mitentscheiden: {{pollUrl}}`,
  },
};

/** Variables: recipientName, pollTitle, pollUrl, closingAt. */
export const pollReminder: LocalizedTemplateSources = {
  en: {
    subject: 'Reminder: {{pollTitle}}',
    html: `<p>Hi {{recipientName}},</p>
<p>You have not voted yet in <strong>{{pollTitle}}</strong>{{#if closingAt}}, which closes on {{closingAt}}{{/if}}.</p>
<p><a href="{{pollUrl}}">Have your say</a></p>`,
    text: `Hi {{recipientName}},

You have not voted yet in "{{pollTitle}}"{{#if closingAt}}, which closes on {{closingAt}}{{/if}}.

Have your say: {{pollUrl}}`,
  },
  de: {
    subject: 'Erinnerung: {{pollTitle}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>Du hast in <strong>{{pollTitle}}</strong> noch nicht abgestimmt{{#if closingAt}}; die Abstimmung endet am {{closingAt}}{{/if}}.</p>
<p><a href="{{pollUrl}}">Jetzt mitentscheiden</a></p>`,
    text: `Hallo {{recipientName}},

Du hast in „{{pollTitle}}“ noch nicht abgestimmt{{#if closingAt}}; die Abstimmung endet am {{closingAt}}{{/if}}.

Jetzt mitentscheiden: {{pollUrl}}`,
  },
};

/** Variables: recipientName, actorName, pollTitle, pollUrl, meetingAt (empty unless a meeting date was chosen). */
export const outcomeCreated: LocalizedTemplateSources = {
  en: {
    subject: 'Outcome: {{pollTitle}}',
    html: `<p>Hi {{recipientName}},</p>
<p>{{actorName}} shared the outcome of <strong>{{pollTitle}}</strong>.</p>
{{#if meetingAt}}<p>The meeting is on {{meetingAt}}; the invitation is attached (meeting.ics).</p>{{/if}}
<p><a href="{{pollUrl}}">Read the outcome</a></p>`,
    text: `Hi {{recipientName}},

{{actorName}} shared the outcome of "{{pollTitle}}".
{{#if meetingAt}}
The meeting is on {{meetingAt}}; the invitation is attached (meeting.ics).
{{/if}}
Read the outcome: {{pollUrl}}`,
  },
  de: {
    subject: 'Ergebnis: {{pollTitle}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>{{actorName}} hat das Ergebnis von <strong>{{pollTitle}}</strong> veröffentlicht.</p>
{{#if meetingAt}}<p>Das Treffen findet am {{meetingAt}} statt; die Einladung ist angehängt (meeting.ics).</p>{{/if}}
<p><a href="{{pollUrl}}">Ergebnis lesen</a></p>`,
    text: `Hallo {{recipientName}},

{{actorName}} hat das Ergebnis von „{{pollTitle}}“ veröffentlicht.
{{#if meetingAt}}
Das Treffen findet am {{meetingAt}} statt; die Einladung ist angehängt (meeting.ics).
{{/if}}
Ergebnis lesen: {{pollUrl}}`,
  },
};

/** Variables: recipientName, pollTitle, pollUrl, reviewOn. */
export const outcomeReviewDue: LocalizedTemplateSources = {
  en: {
    subject: 'Time to review: {{pollTitle}}',
    html: `<p>Hi {{recipientName}},</p>
<p>You planned to review the outcome of <strong>{{pollTitle}}</strong> on {{reviewOn}}.</p>
<p><a href="{{pollUrl}}">Review the outcome</a></p>`,
    text: `Hi {{recipientName}},

You planned to review the outcome of "{{pollTitle}}" on {{reviewOn}}.

Review the outcome: {{pollUrl}}`,
  },
  de: {
    subject: 'Zeit für eine Überprüfung: {{pollTitle}}',
    html: `<p>Hallo {{recipientName}},</p>
<p>Du wolltest das Ergebnis von <strong>{{pollTitle}}</strong> am {{reviewOn}} überprüfen.</p>
<p><a href="{{pollUrl}}">Ergebnis überprüfen</a></p>`,
    text: `Hallo {{recipientName}},

Du wolltest das Ergebnis von „{{pollTitle}}“ am {{reviewOn}} überprüfen.

Ergebnis überprüfen: {{pollUrl}}`,
  },
};
