/* email-reply-parser 2.1 (CommonJS) ships no types; the 2.3 line that does is ESM-only, which Jest cannot load. */
declare module 'email-reply-parser' {
  class EmailReplyParser {
    /** The text the sender wrote: without the quoted message, quote headers and signature. */
    parseReply(text: string): string;
    /** The quoted part. */
    parseReplied(text: string): string;
  }
  export = EmailReplyParser;
}
