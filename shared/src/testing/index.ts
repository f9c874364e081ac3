import type { Decider, EventEnvelope, PendingEvent } from '../events';

/**
 * Given/when/then for deciders (emmett's spec style):
 * `spec(decider).given([...past events]).when(command).then([...new events])` or `.thenThrows(/reason/)`.
 */
export function deciderSpec<C, E extends PendingEvent, S>(decider: Decider<C, E, S>) {
  return {
    given(history: Array<E | EventEnvelope>) {
      const state = history.reduce<S>((s, e) => decider.evolve(s, e), decider.initialState);
      return {
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: E[]) {
              const actual = run();
              if (JSON.stringify(actual) !== JSON.stringify(expected)) {
                throw new Error(`expected events\n${JSON.stringify(expected, null, 2)}\nbut got\n${JSON.stringify(actual, null, 2)}`);
              }
            },
            thenThrows(reason: RegExp | string) {
              let thrown: unknown;
              try {
                run();
              } catch (err) {
                thrown = err;
              }
              if (!(thrown instanceof Error)) throw new Error(`expected the command to be rejected (${String(reason)}), but it was accepted`);
              const ok = typeof reason === 'string' ? thrown.message.includes(reason) : reason.test(thrown.message);
              if (!ok) throw new Error(`expected a rejection matching ${String(reason)}, got "${thrown.message}"`);
              return thrown;
            },
          };
        },
      };
    },
  };
}
