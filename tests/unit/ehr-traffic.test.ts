import { sequentialRoundTrips } from '../bench/ehr-traffic';

const req = (start: number, end: number): { method: string; path: string; start: number; end: number } => ({ method: 'GET', path: '/x', start, end });

describe('sequential EHR round trips of a launch', () => {
  test('none for no requests', () => {
    expect(sequentialRoundTrips([])).toBe(0);
  });

  test('authorize, token, then ten reads in flight together are three round trips', () => {
    const wave = Array.from({ length: 10 }, (_, i) => req(120 + i, 175 + i));
    expect(sequentialRoundTrips([req(0, 50), req(60, 110), ...wave])).toBe(3);
  });

  test('reads made one after another each count', () => {
    expect(sequentialRoundTrips([req(0, 50), req(50, 100), req(100, 150), req(150, 200)])).toBe(4);
  });

  test('a read that overlaps two others in a chain does not lengthen it', () => {
    expect(sequentialRoundTrips([req(0, 50), req(60, 110), req(10, 100)])).toBe(2);
  });
});
