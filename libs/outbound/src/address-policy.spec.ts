import { AddressPolicy, classifyAddress, parseCidr } from './address-policy';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each(['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254'])(
    '%s is a cloud metadata address',
    (address) => {
      expect(classifyAddress(address)).toBe('cloudMetadata');
    },
  );

  it.each([
    '8.8.8.8',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'cloudMetadata'],
    ['64:ff9b::a9fe:a9fe', 'cloudMetadata'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
  ])('IPv6 embedding IPv4: %s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('judges an IPv4-mapped public address as public', () => {
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
  });
});

describe('AddressPolicy', () => {
  it('refuses every non-public address by default, saying why', () => {
    const policy = new AddressPolicy();
    expect(policy.check('example.com', '8.8.8.8')).toEqual({ allowed: true });
    expect(policy.check('localhost', '127.0.0.1')).toEqual({
      allowed: false,
      reason: '127.0.0.1 is a loopback address',
    });
    expect(policy.check('x', '169.254.169.254')).toEqual({
      allowed: false,
      reason: '169.254.169.254 is a cloud metadata address',
    });
    expect(policy.check('x', '::ffff:10.0.0.1')).toMatchObject({ allowed: false });
  });

  it('allows addresses inside an allow-listed CIDR, IPv4-mapped forms included', () => {
    const policy = new AddressPolicy({ hosts: [], cidrs: ['10.1.0.0/16', 'fd00::/8', '127.0.0.1'] });
    expect(policy.check('a', '10.1.200.3').allowed).toBe(true);
    expect(policy.check('a', '::ffff:10.1.0.9').allowed).toBe(true);
    expect(policy.check('a', '10.2.0.1').allowed).toBe(false);
    expect(policy.check('a', 'fd00::5').allowed).toBe(true);
    expect(policy.check('a', '127.0.0.1').allowed).toBe(true);
    expect(policy.check('a', '127.0.0.2').allowed).toBe(false);
  });

  it('allows a host by name (exact or *.suffix) but never at a cloud metadata address', () => {
    const policy = new AddressPolicy({ hosts: ['Hooks.Internal.', '*.corp.example'], cidrs: [] });
    expect(policy.check('hooks.internal', '10.0.0.5').allowed).toBe(true);
    expect(policy.check('chat.corp.example', '192.168.3.4').allowed).toBe(true);
    expect(policy.check('corp.example', '192.168.3.4').allowed).toBe(false);
    expect(policy.check('other.internal', '10.0.0.5').allowed).toBe(false);
    expect(policy.check('hooks.internal', '169.254.169.254').allowed).toBe(false);
  });

  it('lets an explicit CIDR allow a metadata address, as an operator decision', () => {
    expect(
      new AddressPolicy({ hosts: [], cidrs: ['169.254.169.254/32'] }).check('m', '169.254.169.254').allowed,
    ).toBe(true);
  });

  it('rejects a malformed CIDR with the entry in the message', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow('"10.0.0.0/33" is not an address or CIDR range');
    expect(() => new AddressPolicy({ hosts: [], cidrs: ['nonsense'] })).toThrow('"nonsense"');
  });
});
