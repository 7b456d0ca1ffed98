import { mentionsOf, rewriteMentions, rewriteName, rewriteStrings } from './copied-identity';

const ada = { name: 'Ada Lovelace', username: 'ada' };

describe('rewriting copies of an erased identity', () => {
  it("replaces the editor's mention span and @username, and nothing that only looks alike", () => {
    const body =
      '<p><span class="mention" data-mention-id="ada" data-mention-label="Ada Lovelace">@Ada Lovelace</span>, ' +
      '@ada, @adam and mail@ada.org; <span class="mention" data-mention-id="adam">@Adam</span></p>';
    expect(rewriteMentions(body, ada)).toBe(
      '<p><span class="mention">@deleted-user</span>, @deleted-user, @adam and mail@ada.org; ' +
        '<span class="mention" data-mention-id="adam">@Adam</span></p>',
    );
  });

  it('replaces the name as a whole word only, escaped or not', () => {
    expect(rewriteName('Ada Lovelace said; Ada Lovelaces; Ada Lovelace.', ada)).toBe(
      'Deleted user said; Ada Lovelaces; Deleted user.',
    );
    expect(rewriteName('Tom &amp; Jerry', { name: 'Tom & Jerry', username: null })).toBe('Deleted user');
    expect(rewriteName('Also Al', { name: 'Al', username: null })).toBe('Also Deleted user');
  });

  it('walks JSON values, leaving keys alone', () => {
    expect(
      rewriteStrings({ name: 'Ada Lovelace', list: ['x Ada Lovelace'], n: 1 }, (t) => rewriteName(t, ada)),
    ).toEqual({ name: 'Deleted user', list: ['x Deleted user'], n: 1 });
  });

  it('finds mentions by username only, since names are not unique', () => {
    expect(mentionsOf(ada)).toEqual(['data-mention-id="ada"', '@ada']);
    expect(mentionsOf({ name: 'Ada', username: null })).toEqual([]);
  });
});
