/** One mail's Handlebars sources in one language; `subject` and `text` are not HTML-escaped. */
export interface MailTemplateSource {
  subject: string;
  html: string;
  text: string;
}

/** English is the fallback for any locale without its own templates, so it is always there. */
export type LocalizedTemplateSources = { en: MailTemplateSource } & Partial<
  Record<string, MailTemplateSource>
>;

/** The frame around every mail's body: `{{{body}}}` is the rendered body, the footer carries the unsubscribe link. */
export interface LayoutSource {
  html: string;
  text: string;
}
