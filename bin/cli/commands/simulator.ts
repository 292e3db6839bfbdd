/** `peer5-reporter simulator`: the Peer5 API simulator, served on a port. */
import type { Command } from './command.ts';

export const simulator: Command = {
  name: 'simulator',
  summary: 'serve the Peer5 API simulator on a port',
  usage:
    'peer5-reporter simulator [--port N] [--seed N] [--now ISO] [--segments N] [--rate-limit N] [--incident JSON]',
  flags: {},
  async run(argv) {
    const { simulatorCommand } = await import('../../../simulator/command.ts');
    return await simulatorCommand([...argv]);
  },
};
