/*
 * Which columns an export may contain. Loomio's group export leaked api keys, tokens and sign-in IPs; here a
 * column whose name looks like a secret is exported only when it is listed in `NotSecret` below, and never
 * when it is listed in `SecretColumns`. A new secret-looking column is left out at run time until someone
 * decides (export-columns.spec.ts fails until then).
 */

/** Column names that may hold credentials, tokens, hashes or network addresses. */
export const SecretLooking =
  /password|passwd|token|secret|api_?key|(^|_)key$|(^|_)ip$|salt|digest|(^|_)otp|credential|session|authenticat|authoriz|(^|_)o?auth(_|$)|crypt|reset|sha\d*$|^code$|verification_code|url$/i;

/** Never exported, whatever the table's scope (table -> columns). */
export const SecretColumns: Readonly<Record<string, readonly string[]>> = {
  users: [
    'api_key',
    'email_api_key',
    'secret_token',
    'unsubscribe_token',
    'authentication_token',
    'remember_token',
    'encrypted_password',
    'reset_password_token',
    'reset_password_sent_at',
    'current_sign_in_ip',
    'last_sign_in_ip',
    // A hash of a (possibly erased) address: no use to the group, and it re-identifies redacted users.
    'email_sha256',
    'uploaded_avatar_key',
  ],
  groups: ['token'],
  memberships: ['token'],
  // Webhook URLs of Slack, Discord or Teams carry their credentials in the path.
  chatbots: ['secret', 'url'],
  documents: ['key'],
  attachments: ['key', 'source_url'],
};

/** Secret-looking names that were checked and hold nothing secret (table -> column -> why). */
export const NotSecret: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  discussions: { key: 'the public short key in the thread URL' },
  polls: { key: 'the public short key in the poll URL' },
  documents: { url: 'the link the author attached to the record' },
  notifications: { url: 'the in-app path of the notification' },
};

/** Tables of the data model that no export contains, with the reason (the test wants a decision for each). */
export const TablesNeverExported: Readonly<Record<string, string>> = {
  notifications: "other members' personal inboxes",
  login_tokens: 'sign-in credentials',
  identities: 'links to accounts elsewhere, with their access tokens',
  received_emails: 'raw inbound mail, not yet routed to a group',
  versions: 'the audit log keeps earlier values of secret columns',
  exports: 'operational records of this service',
  imports: 'operational records of this service',
  blocked_domains: 'platform configuration',
  mail_deliveries: 'delivery log with addresses',
  search_documents: 'derived from discussions, comments and polls, which are exported',
  outbox_messages: 'operational records of the job system',
  processed_messages: 'operational records of the job system',
};

/** Whether `table.column` may appear in an export. */
export function isExportable(table: string, column: string): boolean {
  if (SecretColumns[table]?.includes(column)) return false;
  if (SecretLooking.test(column)) return NotSecret[table]?.[column] !== undefined;
  return true;
}
