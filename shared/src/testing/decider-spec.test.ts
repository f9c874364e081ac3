import type { Decider } from '../events';
import { deciderSpec } from './index';

type Command = { kind: 'open' } | { kind: 'close' };
type Event = { type: 'tests.door.opened.v1' | 'tests.door.closed.v1'; data: Record<string, never> };
type State = { status: 'closed' } | { status: 'open' };

const door: Decider<Command, Event, State> = {
  initialState: { status: 'closed' },
  decide: (command, state) => {
    if (command.kind === 'open') {
      if (state.status === 'open') throw new Error('already open');
      return [{ type: 'tests.door.opened.v1', data: {} }];
    }
    if (state.status === 'closed') throw new Error('already closed');
    return [{ type: 'tests.door.closed.v1', data: {} }];
  },
  evolve: (_state, event) => ({ status: event.type === 'tests.door.opened.v1' ? 'open' : 'closed' }),
};

describe('deciderSpec', () => {
  const spec = deciderSpec(door);

  it('passes when the decided events are the expected ones', () => {
    spec.given([]).when({ kind: 'open' }).then([{ type: 'tests.door.opened.v1', data: {} }]);
  });

  it('fails when they are not', () => {
    expect(() => spec.given([]).when({ kind: 'open' }).then([])).toThrow(/expected events/);
  });

  it('checks rejections against the history', () => {
    spec.given([{ type: 'tests.door.opened.v1', data: {} }]).when({ kind: 'open' }).thenThrows('already open');
    expect(() => spec.given([]).when({ kind: 'open' }).thenThrows('already open')).toThrow(/but it was accepted/);
  });
});
