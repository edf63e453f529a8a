import { describe, expect, it } from 'vitest';
import { wellFormed } from './request-body';

const read = (text: string): unknown => wellFormed(JSON.parse(text), text);

describe('wellFormed', () => {
  it('replaces a lone surrogate with U+FFFD, as Go reads JSON, and keeps pairs', () => {
    expect(read('{"Labels":{"a\\ud800":"x\\udc00y","pair":"\\ud83d\\ude00"},"Args":["\\udbff"]}')).toEqual({ Labels: { 'a\ufffd': 'x\ufffdy', pair: '😀' }, Args: ['\ufffd'] });
  });

  it('refuses a key __proto__, also spelt with escapes, and anywhere in the body', () => {
    for (const text of ['{"Labels":{"__proto__":"x"}}', '{"Labels":{"\\u005f_proto__":"x"}}', '[{"a":[{"__proto__":{}}]}]']) {
      expect(() => read(text), text).toThrow('invalid key "__proto__"');
    }
    expect(read('{"Labels":{"k":"__proto__"}}')).toEqual({ Labels: { k: '__proto__' } }); // a value is fine
  });

  it('leaves a body with neither as it was parsed (the same object)', () => {
    const text = '{"Name":"web","Labels":{"a":"<b>"}}';
    const value = JSON.parse(text) as unknown;
    expect(wellFormed(value, text)).toBe(value);
  });
});
