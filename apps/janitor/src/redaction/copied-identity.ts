/** What stands in for an erased user's name wherever it had been copied. */
export const ErasedName = 'Deleted user';
/** What stands in for an erased user's username in mention markup. */
export const ErasedUsername = 'deleted-user';

export interface ErasedIdentity {
  name: string | null;
  username: string | null;
}

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeHtml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * What marks text as mentioning this user: the editor's `data-mention-id` attribute or `@username`. Names are
 * not unique, so a name alone never marks a row as this user's.
 */
export function mentionsOf(identity: ErasedIdentity): string[] {
  if (!identity.username?.trim()) return [];
  return [`data-mention-id="${escapeHtml(identity.username)}"`, `@${identity.username}`];
}

/**
 * Rewrites mention markup of the user in rich text (HTML or Markdown): the editor's span, which copies both
 * the username and the name, becomes a plain mention of the erased user; `@username` likewise.
 */
export function rewriteMentions(body: string, identity: ErasedIdentity): string {
  let result = body;
  if (identity.username) {
    const id = escapeRegExp(escapeHtml(identity.username));
    result = result.replace(
      new RegExp(`<span\\b[^>]*\\bdata-mention-id="${id}"[^>]*>[\\s\\S]*?</span>`, 'g'),
      `<span class="mention">@${ErasedUsername}</span>`,
    );
    result = result.replace(
      new RegExp(`(^|[^\\w@.])@${escapeRegExp(identity.username)}(?![\\w-])`, 'g'),
      `$1@${ErasedUsername}`,
    );
  }
  return rewriteName(result, identity);
}

/** Replaces every whole-word copy of the name (raw or HTML-escaped) in a string: "Al" never touches "Also". */
export function rewriteName(text: string, identity: ErasedIdentity): string {
  if (!identity.name?.trim()) return text;
  let result = text;
  for (const form of new Set([identity.name, escapeHtml(identity.name)])) {
    result = result.replace(
      new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(form)}(?![\\p{L}\\p{N}])`, 'gu'),
      ErasedName,
    );
  }
  return result;
}

/** Applies `rewrite` to every string inside a JSON value, keys left alone. */
export function rewriteStrings(value: unknown, rewrite: (text: string) => string): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (Array.isArray(value)) return value.map((item) => rewriteStrings(item, rewrite));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, rewriteStrings(item, rewrite)]),
    );
  }
  return value;
}
