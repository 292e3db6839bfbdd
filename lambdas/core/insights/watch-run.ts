/**
 * One run of the offload watch, as the Lambda and the CLI make it: read the lake's hourly windows,
 * check the hour, move the incident state on, then send what the move says to send.
 *
 *   read windows -> checkOffload -> (read state -> nextWatchState -> conditional write)* -> send
 *
 * The state is written before anything is sent, with a write that succeeds only if the state is
 * still the one this run read. When another run wrote first (overlapping runs: the schedule, its
 * async retry, a manual invoke), this run reads the winner's state and moves it on again; the
 * winner has checked the same hour, so that move sends nothing. Two runs of one hour therefore
 * raise one alert.
 *
 * Delivery is at most once: a message that fails to send after the state was written is not sent
 * again by a later run (which would otherwise alert twice when only one of two channels failed).
 * The run fails with a WatchDeliveryError naming each channel that failed, so the function's error
 * alarm fires on the ops topic instead.
 */
import type { DatasetDefinition } from '../datasets.ts';
import { errorText } from '../error-text.ts';
import type { LakeSink } from '../lake/sink.ts';
import { nextWatchState, type WatchState } from './incident.ts';
import { checkOffload, type WatchCheck, type WatchSettings } from './watch.ts';
import { readWatchHours } from './watch-lake.ts';
import { type WatchEvent, watchEventOf } from './watch-message.ts';

/** A stored state and its version, for the conditional write that replaces it. */
export interface StoredWatchState {
  readonly state: WatchState;
  /** An opaque version (an S3 ETag); null when nothing is stored yet. */
  readonly version: string | null;
}

/** Where the incident state is kept between runs (S3 in the Lambda, a file for a local lake). */
export interface WatchStateStore {
  /** `s3://bucket/key` or a path, for messages. */
  readonly location: string;
  /** The stored state; the initial state, version null, when there is none. */
  read(): Promise<StoredWatchState>;
  /**
   * Writes `state` only if the stored state is still at `version` (null: still absent). Returns
   * false, writing nothing, when another writer got there first.
   */
  write(state: WatchState, version: string | null): Promise<boolean>;
}

/** One channel the watch's messages go out on: the SNS topic, the email, an outbox folder. */
export interface WatchChannel {
  /** `SNS topic arn:...`, `email to 2 recipients`: for logs and errors. */
  readonly name: string;
  send(event: WatchEvent): Promise<void>;
}

export class WatchStateConflictError extends Error {
  override readonly name = 'WatchStateConflictError';
}

export class WatchDeliveryError extends Error {
  override readonly name = 'WatchDeliveryError';
  constructor(
    readonly failures: readonly { readonly channel: string; readonly error: unknown }[],
    readonly events: readonly WatchEvent[],
  ) {
    super(
      `the offload watch recorded ${events.map((event) => `${event.kind} ${event.incidentId}`).join(', ')} but could not send it through ${failures
        .map(({ channel, error }) => `${channel} (${errorText(error)})`)
        .join('; ')}; it is not sent again by a later run`,
    );
  }
}

/** Runs that write the state in between are retried this often before the run gives up. */
export const STATE_WRITE_ATTEMPTS = 5;

export interface RunWatchInput {
  readonly sink: LakeSink;
  readonly prefix: string;
  /** The watch's datasets (`watchDatasetsOf(...).usable`). */
  readonly datasets: readonly DatasetDefinition[];
  readonly store: WatchStateStore;
  readonly channels: readonly WatchChannel[];
  readonly now: number;
  readonly settings: WatchSettings;
  /** The report's time zone: messages give local times in it. */
  readonly timeZone: string;
}

export interface WatchRunResult {
  readonly check: WatchCheck;
  /** The state after this run (the winner's, when another run wrote first). */
  readonly state: WatchState;
  /** What this run sent; empty when nothing changed or another run sent it. */
  readonly events: readonly WatchEvent[];
  /** An incident is open: this run raised its alert, or it goes on. */
  readonly alerting: boolean;
  /** Whether this run wrote the state (false when the move changed nothing). */
  readonly stateWritten: boolean;
}

/** Reads the state, moves it on with `check`, and writes it back unless someone wrote first. */
async function advanceState(
  store: WatchStateStore,
  check: WatchCheck,
  now: number,
): Promise<{
  state: WatchState;
  notifications: ReturnType<typeof nextWatchState>['notifications'];
  written: boolean;
}> {
  for (let attempt = 0; attempt < STATE_WRITE_ATTEMPTS; attempt++) {
    const stored = await store.read();
    const transition = nextWatchState(stored.state, check, now);
    if (transition.state === stored.state) {
      return { state: stored.state, notifications: [], written: false };
    }
    if (await store.write(transition.state, stored.version)) {
      return { state: transition.state, notifications: transition.notifications, written: true };
    }
  }
  throw new WatchStateConflictError(
    `the watch state ${store.location} was replaced by other runs ${STATE_WRITE_ATTEMPTS} times while this run tried to write it; the next run checks again`,
  );
}

export async function runWatch(input: RunWatchInput): Promise<WatchRunResult> {
  const hours = await readWatchHours(input);
  const check = checkOffload({ ...hours, settings: input.settings });
  const { state, notifications, written } = await advanceState(input.store, check, input.now);
  const events = notifications.map((notification) =>
    watchEventOf(notification, { timeZone: input.timeZone }),
  );
  const failures: { channel: string; error: unknown }[] = [];
  for (const event of events) {
    for (const channel of input.channels) {
      try {
        await channel.send(event);
      } catch (error: unknown) {
        failures.push({ channel: channel.name, error });
      }
    }
  }
  if (failures.length > 0) throw new WatchDeliveryError(failures, events);
  return { check, state, events, alerting: state.incident !== null, stateWritten: written };
}
