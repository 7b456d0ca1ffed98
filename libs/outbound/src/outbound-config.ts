import { z } from 'zod';
import { AddressPolicy, parseCidr } from './address-policy';

// Also accepts the array it produces, so a config parsed once can be parsed again.
const commaList = z
  .union([z.string(), z.array(z.string())])
  .default('')
  .transform((value) =>
    (typeof value === 'string' ? value.split(',') : value)
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

/**
 * The environment settings of the URL guard, to `.extend()` an app's config schema with. Both empty by
 * default: nothing but public addresses is reachable.
 */
export const OutboundConfigShape = {
  /** Host names allowed to resolve to non-public addresses (not to cloud metadata): `hooks.internal,*.corp.example`. */
  OUTBOUND_ALLOW_HOSTS: commaList,
  /** Address ranges allowed although not public: `10.1.0.0/16,fd00::/8,127.0.0.1`. */
  OUTBOUND_ALLOW_CIDRS: commaList.refine(
    (cidrs) => cidrs.every(isCidr),
    'must be comma-separated addresses or CIDR ranges (e.g. 10.0.0.0/8,fd00::/8,127.0.0.1)',
  ),
};

export interface OutboundConfig {
  OUTBOUND_ALLOW_HOSTS: string[];
  OUTBOUND_ALLOW_CIDRS: string[];
}

export function outboundPolicyFrom(config: OutboundConfig): AddressPolicy {
  return new AddressPolicy({ hosts: config.OUTBOUND_ALLOW_HOSTS, cidrs: config.OUTBOUND_ALLOW_CIDRS });
}

function isCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}
