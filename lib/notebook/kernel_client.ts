/**
 * A small Jupyter client over ZeroMQ (npm `zeromq`): shell and control as
 * DEALER sockets, iopub as a SUBSCRIBER. Every outgoing message is signed;
 * every incoming one whose signature does not verify is dropped and counted.
 *
 * The runner only sees the {@link KernelClient} interface, so the transport
 * can be replaced without touching it.
 *
 * @module
 */
import * as zmq from "zeromq";
import { KernelError } from "./errors.ts";
import type { ConnectionInfo } from "./kernel_process.ts";
import {
  createSigner,
  decodeMessage,
  encodeMessage,
  type JsonObject,
  makeHeader,
  type Message,
  type Signer,
} from "./protocol.ts";

/** Options of {@link KernelClient.execute}. */
export interface ExecuteOptions {
  /** Ask the kernel not to broadcast `execute_input`/`execute_result` (default false). */
  silent?: boolean;
  /** Count the execution and keep it in history (default `!silent`). */
  storeHistory?: boolean;
  /** Abort queued executions after an error (default true). */
  stopOnError?: boolean;
}

/** Content of an `execute_reply`. */
export interface ExecuteReply extends JsonObject {
  status: "ok" | "error" | "aborted";
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** An execute request on its way: its `msg_id` (the `parent_header.msg_id` of its outputs) and reply. */
export interface Execution {
  readonly msgId: string;
  readonly reply: Promise<Message<ExecuteReply>>;
}

/** How an interrupt reaches the kernel (the kernelspec's `interrupt_mode`). */
export type InterruptMode = "message" | "signal";

/** A connected kernel. Close it with {@link KernelClient.close} (or {@link KernelClient.shutdown}). */
export interface KernelClient {
  /** The session id put in every request header. */
  readonly session: string;
  /** Sends `kernel_info_request` on shell; resolves with the reply. */
  kernelInfo(): Promise<Message>;
  /**
   * Repeats `kernel_info_request` every `intervalMs` until the kernel's
   * `status` for one of them arrives on iopub (so iopub is subscribed), then
   * resolves with a `kernel_info_reply`. Rejects with {@link KernelError} after `timeoutMs`.
   */
  ready(timeoutMs?: number, intervalMs?: number): Promise<Message>;
  /** Sends an `execute_request`. Listeners registered before this call see all its iopub messages. */
  execute(code: string, options?: ExecuteOptions): Execution;
  /** Interrupts the running execution (`interrupt_request` on control, or the `signal` hook). */
  interrupt(): Promise<void>;
  /** Sends `shutdown_request` on control and waits up to `timeoutMs` for the reply, then closes. */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Calls `listener` with every verified iopub message, in arrival order. Returns an unsubscribe function. */
  onIOPub(listener: (message: Message) => void): () => void;
  /** Number of incoming messages dropped because their signature did not verify. */
  droppedCount(): number;
  /** Closes the sockets; pending replies reject with {@link KernelError}. */
  close(): void;
}

/** Options of {@link connectKernel}. */
export interface ConnectOptions {
  /** `"message"` (default; what the Deno kernel supports — SIGINT ends it) or `"signal"`. */
  interruptMode?: InterruptMode;
  /** Delivers SIGINT when `interruptMode` is `"signal"`. */
  sendInterruptSignal?: () => void;
}

/** Milliseconds between two checks of an idle socket. */
const POLL_MS = 2;

interface Pending {
  resolve: (message: Message) => void;
  reject: (error: Error) => void;
}

function timeoutAfter<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KernelError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects to the kernel described by `connection`. */
export async function connectKernel(
  connection: ConnectionInfo,
  options: ConnectOptions = {},
): Promise<KernelClient> {
  const signer: Signer = await createSigner(connection.key);
  const url = (port: number) => `${connection.transport}://${connection.ip}:${port}`;
  const shell = new zmq.Dealer({ linger: 0 });
  const control = new zmq.Dealer({ linger: 0 });
  const iopub = new zmq.Subscriber({ linger: 0 });
  shell.connect(url(connection.shell_port));
  control.connect(url(connection.control_port));
  iopub.connect(url(connection.iopub_port));
  iopub.subscribe();

  const session = crypto.randomUUID();
  const pending = new Map<string, Pending>();
  const sending = new Map<zmq.Dealer, Promise<void>>();
  const listeners = new Set<(message: Message) => void>();
  let dropped = 0;
  let closed = false;

  // Under Deno, a zeromq socket's pending `receive()` is not always woken when
  // a message arrives (the edge-triggered ZMQ_FD is missed until the next send),
  // so each socket is polled: `readable` asks libzmq (ZMQ_EVENTS) and
  // `receive()` is only called when a message is already waiting.
  const sleepers = new Set<{ timer: ReturnType<typeof setTimeout>; wake: () => void }>();
  const sleep = (ms: number) =>
    new Promise<void>((wake) => {
      const entry = { timer: setTimeout(() => (sleepers.delete(entry), wake()), ms), wake };
      sleepers.add(entry);
    });
  async function receive(
    socket: zmq.Dealer | zmq.Subscriber,
    deliver: (message: Message) => void,
  ): Promise<void> {
    try {
      while (!closed) {
        if (!socket.readable) {
          await sleep(POLL_MS);
          continue;
        }
        const message = await decodeMessage(signer, await socket.receive());
        if (message === null) dropped++;
        else deliver(message);
      }
    } catch (err) {
      if (!closed) throw err;
    }
  }
  const resolveReply = (message: Message) => {
    const id = message.parent_header.msg_id;
    const entry = id === undefined ? undefined : pending.get(id);
    if (entry && id !== undefined) {
      pending.delete(id);
      entry.resolve(message);
    }
  };
  const loops = [
    receive(shell, resolveReply),
    receive(control, resolveReply),
    receive(iopub, (message) => {
      for (const listener of listeners) listener(message);
    }),
  ];

  function request(
    socket: zmq.Dealer,
    msgType: string,
    content: JsonObject,
  ): { msgId: string; reply: Promise<Message> } {
    const header = makeHeader(msgType, session);
    const reply = new Promise<Message>((resolve, reject) => {
      if (closed) return reject(new KernelError(`${msgType}: the client is closed`));
      pending.set(header.msg_id, { resolve, reject });
      // A zeromq socket allows one send at a time: chain sends per socket.
      const sent = (sending.get(socket) ?? Promise.resolve())
        .then(() => encodeMessage(signer, { header, content }))
        .then((frames) => socket.send(frames));
      sending.set(socket, sent.catch(() => {}));
      sent.catch((err: Error) => {
        pending.delete(header.msg_id);
        reject(new KernelError(`${msgType}: could not send: ${err.message}`));
      });
    });
    return { msgId: header.msg_id, reply };
  }

  function onIOPub(listener: (message: Message) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  function close() {
    if (closed) return;
    closed = true;
    for (const socket of [shell, control, iopub]) socket.close();
    for (const { timer, wake } of sleepers) {
      clearTimeout(timer);
      wake();
    }
    sleepers.clear();
    for (const entry of pending.values()) entry.reject(new KernelError("the client was closed"));
    pending.clear();
    listeners.clear();
    // Swallow loop errors that race with closing; the loops end with the sockets.
    Promise.allSettled(loops);
  }

  return {
    session,
    kernelInfo: () => request(shell, "kernel_info_request", {}).reply,
    ready(timeoutMs = 30_000, intervalMs = 100) {
      return new Promise<Message>((resolve, reject) => {
        const ids = new Set<string>();
        const replies: Promise<Message>[] = [];
        const stop = () => {
          clearInterval(timer);
          unsubscribe();
        };
        const unsubscribe = onIOPub((message) => {
          const parent = message.parent_header.msg_id;
          if (message.header.msg_type !== "status" || parent === undefined || !ids.has(parent)) {
            return;
          }
          stop();
          Promise.any(replies).then((reply) => {
            clearTimeout(deadline);
            resolve(reply);
          }, reject);
        });
        const send = () => {
          const { msgId, reply } = request(shell, "kernel_info_request", {});
          reply.catch(() => {});
          ids.add(msgId);
          replies.push(reply);
        };
        const deadline = setTimeout(() => {
          stop();
          reject(
            new KernelError(`kernel did not answer kernel_info_request within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const timer = setInterval(send, intervalMs);
        send();
      });
    },
    execute(code, opts = {}) {
      const silent = opts.silent ?? false;
      const { msgId, reply } = request(shell, "execute_request", {
        code,
        silent,
        store_history: opts.storeHistory ?? !silent,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: opts.stopOnError ?? true,
      });
      return { msgId, reply: reply as Promise<Message<ExecuteReply>> };
    },
    async interrupt() {
      if ((options.interruptMode ?? "message") === "signal") {
        if (!options.sendInterruptSignal) {
          throw new KernelError("interrupt mode is 'signal' but no way to signal the kernel");
        }
        options.sendInterruptSignal();
        return;
      }
      // The Deno kernel answers interrupt_request late (after the interrupted
      // cell's reply), so only the sending is awaited.
      request(control, "interrupt_request", {}).reply.catch(() => {});
      await Promise.resolve();
    },
    async shutdown(timeoutMs = 2000) {
      try {
        await timeoutAfter(
          request(control, "shutdown_request", { restart: false }).reply,
          timeoutMs,
          "shutdown_request",
        );
      } catch {
        // A kernel that does not answer is stopped by its process owner.
      } finally {
        close();
      }
    },
    onIOPub,
    droppedCount: () => dropped,
    close,
  };
}
