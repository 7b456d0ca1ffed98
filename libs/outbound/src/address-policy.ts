import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

/**
 * Why an address is refused, or `public`. Everything ipaddr.js does not call `unicast` is refused: private,
 * loopback, link-local, unique-local, carrier-grade NAT, multicast, broadcast, unspecified, reserved and
 * documentation ranges. IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by it.
 */
export type AddressClass = 'public' | 'cloudMetadata' | string;

/** Instance-metadata endpoints of the clouds; refused even for a host that is allow-listed by name. */
const CloudMetadataAddresses: readonly Address[] = [
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud
  'fd00:ec2::254', // AWS IMDS over IPv6
].map((text) => ipaddr.parse(text));

export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(unbracketed(host));
}

export function parseAddress(text: string): Address {
  const address = ipaddr.parse(unbracketed(text));
  // A zone (fe80::1%eth0) names an interface, not a different address.
  if (address.kind() === 'ipv6') (address as ipaddr.IPv6).zoneId = undefined;
  return address;
}

export function classifyAddress(text: string): AddressClass {
  const address = embeddedIpv4(parseAddress(text));
  if (CloudMetadataAddresses.some((metadata) => sameAddress(metadata, address))) return 'cloudMetadata';
  const range = address.range();
  return range === 'unicast' ? 'public' : range;
}

/** What may be reached although it is not public: hosts by name (exact, or `*.domain`) and address ranges. */
export interface AllowList {
  hosts: readonly string[];
  cidrs: readonly string[];
}

export const EmptyAllowList: AllowList = { hosts: [], cidrs: [] };

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * The decision for one resolved address of `host`. A CIDR allows anything inside it (metadata included, when
 * an operator says so explicitly); a host name allows non-public addresses except cloud metadata, so a name on
 * the list cannot be pointed at the metadata service.
 */
export class AddressPolicy {
  private readonly cidrs: Cidr[];
  private readonly exactHosts: Set<string>;
  private readonly hostSuffixes: string[];

  constructor(allowList: AllowList = EmptyAllowList) {
    this.cidrs = allowList.cidrs.map(parseCidr);
    const hosts = allowList.hosts.map((host) => normalizeHost(host)).filter((host) => host !== '');
    this.exactHosts = new Set(hosts.filter((host) => !host.startsWith('*.')));
    this.hostSuffixes = hosts.filter((host) => host.startsWith('*.')).map((host) => host.slice(1));
  }

  check(host: string, addressText: string): AddressVerdict {
    const address = parseAddress(addressText);
    const addressClass = classifyAddress(addressText);
    if (addressClass === 'public') return { allowed: true };
    if (this.cidrs.some((cidr) => inCidr(address, cidr))) return { allowed: true };
    if (addressClass !== 'cloudMetadata' && this.allowsHost(host)) return { allowed: true };
    return { allowed: false, reason: `${address.toString()} is a ${describe(addressClass)} address` };
  }

  private allowsHost(host: string): boolean {
    const name = normalizeHost(host);
    return this.exactHosts.has(name) || this.hostSuffixes.some((suffix) => name.endsWith(suffix));
  }
}

/** Throws with the offending entry when a CIDR of the allow-list is malformed. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  try {
    if (trimmed.includes('/')) return ipaddr.parseCIDR(trimmed);
    const address = ipaddr.parse(trimmed);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`"${text}" is not an address or CIDR range (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1)`);
  }
}

function inCidr(address: Address, [network, bits]: Cidr): boolean {
  const candidates = [address, embeddedIpv4(address)];
  return candidates.some(
    (candidate) => candidate.kind() === network.kind() && candidate.match(network, bits),
  );
}

/** The IPv4 address inside ::ffff:a.b.c.d, 64:ff9b::a.b.c.d and 2002:aabb:ccdd::/48, else the address itself. */
function embeddedIpv4(address: Address): Address {
  if (address.kind() === 'ipv4') return address;
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return v6.toIPv4Address();
  if (range === 'rfc6052') return ipv4FromParts(v6.parts[6], v6.parts[7]);
  if (range === '6to4') return ipv4FromParts(v6.parts[1], v6.parts[2]);
  return address;
}

function ipv4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function sameAddress(a: Address, b: Address): boolean {
  return a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString();
}

function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function normalizeHost(host: string): string {
  return unbracketed(host.trim().toLowerCase()).replace(/\.$/, '');
}

function describe(addressClass: AddressClass): string {
  const names: Record<string, string> = {
    cloudMetadata: 'cloud metadata',
    private: 'private',
    loopback: 'loopback',
    linkLocal: 'link-local',
    uniqueLocal: 'unique-local',
    carrierGradeNat: 'carrier-grade NAT',
    multicast: 'multicast',
    unspecified: 'unspecified',
    broadcast: 'broadcast',
    reserved: 'reserved',
  };
  return names[addressClass] ?? `non-public (${addressClass})`;
}
