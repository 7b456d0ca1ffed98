import { checkMemberRow, MalformedCsvError, normaliseHeader } from './member-rows';

describe('members CSV rows', () => {
  it('normalises a valid row', () => {
    expect(checkMemberRow(2, { email: ' Ann@Example.TEST ', name: ' Ann ', role: 'Admin' })).toEqual({
      ok: true,
      row: { line: 2, email: 'ann@example.test', name: 'Ann', admin: true },
    });
    expect(checkMemberRow(3, { email: 'b@example.test', name: '', role: '' })).toEqual({
      ok: true,
      row: { line: 3, email: 'b@example.test', name: null, admin: false },
    });
  });

  it('gives every reason a row is refused', () => {
    expect(checkMemberRow(4, { email: 'nope', name: 'x'.repeat(256), role: 'boss' })).toEqual({
      ok: false,
      line: 4,
      reasons: [
        'email "nope" is not an e-mail address',
        'name is longer than 255 characters',
        'role "boss" is neither "member" nor "admin"',
      ],
    });
  });

  it('needs the email, name and role columns, in any case and order', () => {
    expect(normaliseHeader([' Role', 'EMAIL ', 'Name', 'notes'])).toEqual(['role', 'email', 'name', 'notes']);
    expect(() => normaliseHeader(['email', 'name'])).toThrow(MalformedCsvError);
    expect(() => normaliseHeader(['email', 'name'])).toThrow('role missing');
  });
});
