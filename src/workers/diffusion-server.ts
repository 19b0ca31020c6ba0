/**
 * Connects a {@link DiffusionApi} (the worker's handler) to the page over `postMessage`: calls run
 * one at a time in arrival order, events and results go back with their images transferred,
 * errors as `{ name, code, message }`, aborts act at once.
 */
import {
  EVENT_ROUTES,
  serializeError,
  transferablesOf,
  type CallMessage,
  type DiffusionApi,
  type EventOf,
  type PageToWorkerMessage,
  type RequestKind,
  type WorkerToPageMessage,
} from './protocol.ts';

/** The worker end of a MessagePort-like channel. */
export interface WorkerEndpoint {
  postMessage(message: WorkerToPageMessage, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageToWorkerMessage>) => void): void;
}

/**
 * Answers calls from the page with `api`, one at a time in arrival order (a load must finish before
 * the generate behind it); aborts act at once on the running or waiting call.
 */
export function serveDiffusionApi(endpoint: WorkerEndpoint, api: DiffusionApi): void {
  const controllers = new Map<number, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();

  const post = (message: WorkerToPageMessage) => endpoint.postMessage(message, transferablesOf(message));

  async function answer<K extends RequestKind>(message: CallMessage & { kind: K }, signal: AbortSignal): Promise<void> {
    const route = EVENT_ROUTES[message.kind];
    const emit = (event: EventOf<K>) => post({ type: 'event', id: message.id, event });
    const options = route.toOptions(signal, emit);
    try {
      signal.throwIfAborted();
      const method = api[message.kind] as (request: unknown, options: unknown) => Promise<unknown>;
      const response = await method.call(api, message.request, options);
      post({ type: 'ok', id: message.id, response } as WorkerToPageMessage);
    } catch (error) {
      post({ type: 'error', id: message.id, error: serializeError(error) });
    } finally {
      controllers.delete(message.id);
    }
  }

  endpoint.addEventListener('message', ({ data }) => {
    if (data.type === 'abort') {
      controllers.get(data.id)?.abort();
      return;
    }
    const controller = new AbortController();
    controllers.set(data.id, controller);
    queue = queue.then(() => answer(data, controller.signal));
  });
}
