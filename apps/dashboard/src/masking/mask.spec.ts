import { isSensitiveKey, maskHeaders, maskValue, Masked } from './mask';

describe('payload masking', () => {
  it('masks personal and secret keys in any spelling, keeps ids', () => {
    const masked = maskValue({
      pollId: 12,
      user_ids: [1, 2],
      email: 'ann@example.org',
      userName: 'Ann',
      last_sign_in_ip: '10.0.0.1',
      apiKey: 'k',
      'secret-token': 's',
      nested: { password: 'p', body: 'hello', recipientIds: [3], kind: 'poll_closed' },
      list: [{ name: 'x', id: 4 }],
    });
    expect(masked).toEqual({
      pollId: 12,
      user_ids: [1, 2],
      email: Masked,
      userName: Masked,
      last_sign_in_ip: Masked,
      apiKey: Masked,
      'secret-token': Masked,
      nested: { password: Masked, body: Masked, recipientIds: [3], kind: 'poll_closed' },
      list: [{ name: Masked, id: 4 }],
    });
  });

  it('blanks e-mail addresses under innocent keys and in headers', () => {
    expect(maskValue({ note: 'write to bob@example.com now' })).toEqual({ note: `write to ${Masked} now` });
    const headers = {
      'Dlq-Error': ['bad address x@y.io'],
      'Dlq-Reason': ['failed'],
      Authorization: ['Bearer abc'],
    };
    expect(maskHeaders(headers)).toEqual({
      'Dlq-Error': [`bad address ${Masked}`],
      'Dlq-Reason': ['failed'],
      Authorization: [Masked],
    });
  });

  it('does not mistake ids and kinds for personal fields', () => {
    for (const key of ['id', 'groupId', 'recipient_ids', 'subject', 'kind', 'ship', 'zip_code_id']) {
      expect(isSensitiveKey(key)).toBe(false);
    }
    for (const key of [
      'ip',
      'IP',
      'shortBio',
      'time_zone',
      'webhookUrl',
      'Nats-Msg-Id'.replace('Id', 'Key'),
    ]) {
      expect(isSensitiveKey(key)).toBe(true);
    }
  });
});
