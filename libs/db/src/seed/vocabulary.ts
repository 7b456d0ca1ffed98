/* Word lists the demo is built from. Names are invented; e-mail domains are reserved example domains. */

// prettier-ignore
export const FIRST_NAMES = [
  'Amara', 'Ana', 'Aroha', 'Björn', 'Carmen', 'Chen', 'Dalia', 'Diego', 'Elif', 'Emeka', 'Farah', 'Gustavo',
  'Hana', 'Ibrahim', 'Ingrid', 'Jamal', 'Kai', 'Kavya', 'Leilani', 'Lucía', 'Malik', 'Mei', 'Mateus',
  'Nadia', 'Niamh', 'Olu', 'Priya', 'Quentin', 'Rangi', 'Rosa', 'Sanjay', 'Sofia', 'Tariq', 'Thandiwe',
  'Tomás', 'Uma', 'Valentina', 'Wiremu', 'Xin', 'Yara', 'Yusuf', 'Zainab', 'Zoë', 'Anders', 'Bea', 'Chidi',
  'Dev', 'Esi',
] as const;

// prettier-ignore
export const LAST_NAMES = [
  'Okafor', 'García', 'Nguyen', 'Müller', 'Tanaka', 'Kowalski', 'Haddad', 'Silva', 'Patel', 'Ngata',
  'Dubois', 'Johansson', 'Mensah', 'Rossi', 'Kim', 'Novak', 'Fernández', 'Osei', 'Park', 'Walker', 'Yilmaz',
  'Singh', 'Moana', 'Ivanova', 'Costa', 'Achebe', 'Lindqvist', 'Sato', 'Mahlangu', 'Herrera', "O'Brien",
  'Shrestha',
] as const;

/**
 * IANA zones the demo users live in, chosen for the digest and reminder edge cases: half- and
 * quarter-hour offsets (Kolkata +05:30, Kathmandu +05:45, Adelaide +09:30/+10:30), both hemispheres'
 * daylight saving, the date line (Auckland), and null, which means UTC.
 */
export const TIME_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Africa/Nairobi',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tokyo',
  'Australia/Adelaide',
  'Pacific/Auckland',
  null,
] as const;

export const LOCALES = ['en', 'en', 'en', 'de', 'fr', 'es', 'pt-BR', 'nl', 'ja', 'mi'] as const;

export const PLACES = [
  { city: 'Wellington', region: 'Wellington', country: 'NZ' },
  { city: 'Lagos', region: 'Lagos', country: 'NG' },
  { city: 'Berlin', region: 'Berlin', country: 'DE' },
  { city: 'Bengaluru', region: 'Karnataka', country: 'IN' },
  { city: 'São Paulo', region: 'São Paulo', country: 'BR' },
  { city: 'Portland', region: 'Oregon', country: 'US' },
  { city: 'Nairobi', region: 'Nairobi', country: 'KE' },
  { city: 'Kathmandu', region: 'Bagmati', country: 'NP' },
  { city: 'Leeds', region: 'England', country: 'GB' },
  { city: 'Osaka', region: 'Osaka', country: 'JP' },
] as const;

export interface GroupTemplate {
  name: string;
  description: string;
  subgroups: readonly string[];
  tags: readonly string[];
  topics: readonly string[];
}

export const GROUP_TEMPLATES: readonly GroupTemplate[] = [
  {
    name: 'Riverside Housing Co-op',
    description: 'Forty households deciding together how we live, maintain and grow our homes.',
    subgroups: ['Maintenance Team', 'Finance Committee', 'Garden Circle'],
    tags: ['budget', 'repairs', 'policy', 'events'],
    topics: [
      'the roof repairs',
      'next year’s budget',
      'the shared laundry',
      'solar panels',
      'the pet policy',
    ],
  },
  {
    name: 'Open Source Collective',
    description: 'Maintainers and contributors steering the project’s roadmap and governance.',
    subgroups: ['Core Maintainers', 'Documentation', 'Community Events'],
    tags: ['roadmap', 'governance', 'release', 'funding'],
    topics: [
      'the 3.0 release',
      'the code of conduct',
      'our CI costs',
      'the plugin API',
      'grant applications',
    ],
  },
  {
    name: 'Neighbourhood Climate Action',
    description: 'Residents planning practical climate projects for our streets and schools.',
    subgroups: ['Transport Working Group', 'Schools Outreach', 'Tree Planting'],
    tags: ['transport', 'energy', 'outreach', 'urgent'],
    topics: ['the bike lanes petition', 'the school energy audit', 'the tree planting day', 'a repair café'],
  },
  {
    name: 'Community Health Network',
    description: 'Clinics and volunteers coordinating care across the district.',
    subgroups: ['Volunteer Rota', 'Clinic Leads', 'Fundraising'],
    tags: ['rota', 'clinics', 'funding', 'training'],
    topics: ['the winter rota', 'the vaccination drive', 'volunteer training', 'the new clinic hours'],
  },
];

export const DISCUSSION_OPENERS = [
  'Proposal: update',
  'Let’s talk about',
  'Ideas for',
  'Feedback wanted on',
  'Next steps for',
  'Concerns about',
  'Planning',
  'Questions on',
] as const;

export const SENTENCES = [
  'I think we should look at the numbers before we decide anything.',
  'Thanks for pulling this together, it is really clear.',
  'Could we get a quote from a second supplier first?',
  'I am happy with this as long as we review it in three months.',
  'This affects the people who could not make the last meeting, so let us give them time.',
  'I have attached last year’s figures for comparison.',
  'Agree with the direction, but the timeline feels tight.',
  'Can someone summarise where we landed?',
  'I would rather we split this into two smaller decisions.',
  'Happy to take this on if nobody else has capacity.',
  'What would it take to make this reversible?',
  'We tried something similar in 2021 and learned a lot.',
  'Let us make sure the newer members have a say here.',
  'I disagree, and here is why.',
  'Good point, I had not thought of that.',
  'Let’s decide by the end of the month.',
] as const;

export const COMMENT_HEADINGS = ['Summary', 'Background', 'Options', 'Risks', 'Next steps'] as const;

export const TASK_NAMES = [
  'Collect three quotes',
  'Draft the announcement',
  'Book the hall',
  'Update the budget sheet',
  'Call the council',
  'Write up the minutes',
  'Check the insurance policy',
  'Order supplies',
  'Send the survey',
  'Review the contract',
] as const;

export const DISPOSABLE_MAIL_DOMAINS = [
  'mailinator.com',
  'guerrillamail.com',
  '10minutemail.com',
  'tempmail.net',
  'trashmail.com',
  'yopmail.com',
  'sharklasers.com',
  'getnada.com',
  'dispostable.com',
  'maildrop.cc',
  'throwawaymail.com',
  'fakeinbox.com',
] as const;

/** Plain ASCII, lower case: for e-mail addresses, usernames and handles. */
export function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
