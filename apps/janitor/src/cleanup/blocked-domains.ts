import { readFile } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import { guardedRequest, type AddressPolicy } from '@lib/outbound';

const Domain = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

/** One domain a line; blank lines and `#` comments skipped; anything else that is not a domain refused. */
export function parseDomainList(text: string): { domains: string[]; rejected: string[] } {
  const domains = new Set<string>();
  const rejected: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim().toLowerCase().replace(/\.$/, '');
    if (line === '') continue;
    if (Domain.test(line)) domains.add(line);
    else rejected.push(raw.trim());
  }
  return { domains: [...domains].sort(), rejected };
}

export interface BlockedDomainsSource {
  /** A file path, or an http(s) URL fetched through the outbound URL guard. */
  location: string;
  policy: AddressPolicy;
  timeoutMs: number;
  maxBytes: number;
}

export interface BlockedDomainsUpdate {
  added: number;
  removed: number;
  total: number;
  rejected: string[];
}

/**
 * update-blocked-domains: makes `blocked_domains` equal to the configured list (Loomio's disposable-address
 * list), in one transaction. An empty or unreadable list changes nothing: a broken download must not unblock
 * every domain.
 */
export class BlockedDomains {
  constructor(private readonly dataSource: DataSource) {}

  async update(source: BlockedDomainsSource): Promise<BlockedDomainsUpdate> {
    const { domains, rejected } = parseDomainList(await this.read(source));
    if (domains.length === 0) throw new Error(`the blocked-domain list at ${source.location} has no domain`);
    return this.dataSource.transaction(async (manager) => {
      const [, removed] = (await manager.query(
        `DELETE FROM blocked_domains b
         WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[]) AS listed(name) WHERE listed.name = b.name)`,
        [domains],
      )) as [unknown, number];
      const added = (await manager.query(
        `INSERT INTO blocked_domains (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING RETURNING id`,
        [domains],
      )) as unknown[];
      return { added: added.length, removed, total: domains.length, rejected };
    });
  }

  private async read(source: BlockedDomainsSource): Promise<string> {
    if (!/^https?:\/\//i.test(source.location)) return readFile(source.location, 'utf8');
    const response = await guardedRequest(source.location, {
      policy: source.policy,
      timeoutMs: source.timeoutMs,
      maxResponseBytes: source.maxBytes,
    });
    if (response.status !== 200) {
      response.body.resume();
      throw new Error(`GET ${source.location} answered ${response.status}`);
    }
    return response.text();
  }
}
