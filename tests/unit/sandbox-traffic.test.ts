import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { createTraffic, MAX_REQUESTS_RECORDED } from '../../server/sandbox/traffic';

function request(traffic: ReturnType<typeof createTraffic>, path: string): EventEmitter {
  const res = new EventEmitter();
  traffic.middleware({ method: 'GET', path } as Request, res as unknown as Response, () => undefined);
  return res;
}

test('keeps the last 10 000 requests, oldest dropped first, and counts them all', () => {
  const traffic = createTraffic(0);
  const total = MAX_REQUESTS_RECORDED + 25;
  for (let i = 0; i < total; i += 1) {
    request(traffic, `/r4/Patient/p${i}`).emit('close');
  }
  const log = traffic.requests();
  expect(MAX_REQUESTS_RECORDED).toBe(10_000);
  expect(log).toHaveLength(MAX_REQUESTS_RECORDED);
  expect(log[0]?.path).toBe('/r4/Patient/p25');
  expect(log.at(-1)?.path).toBe(`/r4/Patient/p${total - 1}`);
  expect(traffic.count()).toBe(total);
});

test('a request is logged when its answer ends (or its connection closes), not before', () => {
  const traffic = createTraffic(0);
  const res = request(traffic, '/auth/token');
  expect(traffic.requests()).toEqual([]);
  expect(traffic.count()).toBe(1);
  res.emit('close');
  expect(traffic.requests()).toEqual([{ method: 'GET', path: '/auth/token', start: expect.any(Number), end: expect.any(Number) }]);
});
