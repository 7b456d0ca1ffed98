import EmailReplyParser from 'email-reply-parser';

/** The most of one mail that becomes a comment or a description; Loomio's text columns take more, readers do not. */
export const MaxBodyLength = 100_000;

/**
 * What the sender wrote in this mail: the quoted message they replied to (`> …`, "On … wrote:", Outlook's
 * "From: … Sent: …" block) and their signature are cut off by `email-reply-parser`. HTML-only mail is first
 * turned into text with its quotes (`<blockquote>`, Gmail's and Outlook's quote containers) removed.
 */
export function visibleText(body: { bodyText: string | null; bodyHtml: string | null }): string {
  const text = body.bodyText?.trim() ? body.bodyText : htmlToText(body.bodyHtml ?? '');
  const visible = new EmailReplyParser().parseReply(text.replace(/\r\n?/g, '\n'));
  return (
    visible
      .split('\n')
      // The parser keeps a quote that opens the mail (it never hides the first fragment); no one typed it.
      .filter((line) => !/^\s*>/.test(line))
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
      .slice(0, MaxBodyLength)
  );
}

/** Plain text as the HTML the app stores: escaped, blank-line paragraphs, single newlines as `<br>`. */
export function textToHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Block-level quote containers whose content is the message replied to. */
const QuoteContainers = [
  /<blockquote\b[^>]*>(?:(?!<blockquote\b)[\s\S])*?<\/blockquote\s*>/gi,
  /<div\b[^>]*class\s*=\s*["'][^"']*\b(?:gmail_quote|moz-cite-prefix|yahoo_quoted)\b[^"']*["'][^>]*>[\s\S]*$/gi,
  /<div\b[^>]*id\s*=\s*["'](?:divRplyFwdMsg|appendonsend)["'][^>]*>[\s\S]*$/gi,
];

/** Enough HTML-to-text for a mail body: quotes dropped, blocks and breaks as newlines, tags removed, entities decoded. */
export function htmlToText(html: string): string {
  let text = html.replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '');
  for (const container of QuoteContainers) {
    // Innermost first for nested blockquotes: repeat until nothing is left to remove.
    for (let previous = ''; previous !== text;) {
      previous = text;
      text = text.replace(container, '');
    }
  }
  text = text
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6]|tr|table|ul|ol|pre)\s*>/gi, '\n\n')
    .replace(/<li\b[^>]*>/gi, '- ')
    .replace(/<[^>]*>/g, '')
    .replace(/[ \t]*\n[ \t]*/g, '\n');
  return decodeEntities(text).replace(/\u00a0/g, ' ');
}

const NamedEntities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] !== '#') return NamedEntities[name.toLowerCase()] ?? entity;
    const code = name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}
