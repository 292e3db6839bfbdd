/** `peer5-reporter simulator`: the Peer5 API simulator, served on a port. */
import { simulatorCommand } from '../../../simulator/command.ts';
import type { Command } from './command.ts';

export const simulator: Command = {
  name: 'simulator',
  summary: 'serve the Peer5 API simulator on a port',
  usage:
    'peer5-reporter simulator [--port N] [--seed N] [--now ISO] [--segments N] [--rate-limit N] [--incident JSON]',
  flags: {},
  async run(argv) {
    return await simulatorCommand([...argv]);
  },
};
