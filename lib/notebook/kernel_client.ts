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

/** A timer of an idle-socket poll, and how to end it early. */
interface Sleeper {
  timer: ReturnType<typeof setTimeout>;
  wake: () => void;
}

/** The client's sockets and state, shared by its functions. */
interface Link {
  signer: Signer;
  /** The session id put in every request header. */
  session: string;
  shell: zmq.Dealer;
  control: zmq.Dealer;
  iopub: zmq.Subscriber;
  /** Requests awaiting their reply, by `msg_id`. */
  pending: Map<string, Pending>;
  /** The last send on each socket (sends are chained: one at a time per socket). */
  sending: Map<zmq.Dealer, Promise<void>>;
  listeners: Set<(message: Message) => void>;
  sleepers: Set<Sleeper>;
  /** Incoming messages dropped because their signature did not verify. */
  dropped: number;
  closed: boolean;
  /** The receive loops of shell, control and iopub. */
  loops: Promise<void>[];
}

/** Shell and control as DEALER sockets, iopub as a SUBSCRIBER to everything, connected. */
function openSockets(
  connection: ConnectionInfo,
): { shell: zmq.Dealer; control: zmq.Dealer; iopub: zmq.Subscriber } {
  const url = (port: number) => `${connection.transport}://${connection.ip}:${port}`;
  const shell = new zmq.Dealer({ linger: 0 });
  const control = new zmq.Dealer({ linger: 0 });
  const iopub = new zmq.Subscriber({ linger: 0 });
  shell.connect(url(connection.shell_port));
  control.connect(url(connection.control_port));
  iopub.connect(url(connection.iopub_port));
  iopub.subscribe();
  return { shell, control, iopub };
}

/** Waits `ms`, or until the client closes. */
function sleep(link: Link, ms: number): Promise<void> {
  return new Promise<void>((wake) => {
    const entry = { timer: setTimeout(() => (link.sleepers.delete(entry), wake()), ms), wake };
    link.sleepers.add(entry);
  });
}

// Under Deno, a zeromq socket's pending `receive()` is not always woken when
// a message arrives (the edge-triggered ZMQ_FD is missed until the next send),
// so each socket is polled: `readable` asks libzmq (ZMQ_EVENTS) and
// `receive()` is only called when a message is already waiting.
/** Delivers every verified message of `socket` until the client closes; counts the others. */
async function receive(
  link: Link,
  socket: zmq.Dealer | zmq.Subscriber,
  deliver: (message: Message) => void,
): Promise<void> {
  try {
    while (!link.closed) {
      if (!socket.readable) {
        await sleep(link, POLL_MS);
        continue;
      }
      const message = await decodeMessage(link.signer, await socket.receive());
      if (message === null) link.dropped++;
      else deliver(message);
    }
  } catch (err) {
    if (!link.closed) throw err;
  }
}

/** Resolves the pending request `message` replies to, if any. */
function resolveReply(link: Link, message: Message): void {
  const id = message.parent_header.msg_id;
  const entry = id === undefined ? undefined : link.pending.get(id);
  if (entry && id !== undefined) {
    link.pending.delete(id);
    entry.resolve(message);
  }
}

/** Signs and sends a request on `socket`; its reply resolves when it arrives. */
function request(
  link: Link,
  socket: zmq.Dealer,
  msgType: string,
  content: JsonObject,
): { msgId: string; reply: Promise<Message> } {
  const header = makeHeader(msgType, link.session);
  const reply = new Promise<Message>((resolve, reject) => {
    if (link.closed) return reject(new KernelError(`${msgType}: the client is closed`));
    link.pending.set(header.msg_id, { resolve, reject });
    // A zeromq socket allows one send at a time: chain sends per socket.
    const sent = (link.sending.get(socket) ?? Promise.resolve())
      .then(() => encodeMessage(link.signer, { header, content }))
      .then((frames) => socket.send(frames));
    link.sending.set(socket, sent.catch(() => {}));
    sent.catch((err: Error) => {
      link.pending.delete(header.msg_id);
      reject(new KernelError(`${msgType}: could not send: ${err.message}`));
    });
  });
  return { msgId: header.msg_id, reply };
}

/** Adds an iopub listener; returns its removal. */
function onIOPub(link: Link, listener: (message: Message) => void): () => void {
  link.listeners.add(listener);
  return () => link.listeners.delete(listener);
}

/** {@link KernelClient.close}: closes the sockets, wakes the polls and rejects pending replies. */
function closeLink(link: Link): void {
  if (link.closed) return;
  link.closed = true;
  for (const socket of [link.shell, link.control, link.iopub]) socket.close();
  for (const { timer, wake } of link.sleepers) {
    clearTimeout(timer);
    wake();
  }
  link.sleepers.clear();
  for (const entry of link.pending.values()) entry.reject(new KernelError("the client was closed"));
  link.pending.clear();
  link.listeners.clear();
  // Swallow loop errors that race with closing; the loops end with the sockets.
  Promise.allSettled(link.loops);
}

/** {@link KernelClient.ready}: repeats `kernel_info_request` until iopub carries a status of one. */
function waitReady(link: Link, timeoutMs: number, intervalMs: number): Promise<Message> {
  return new Promise<Message>((resolve, reject) => {
    const ids = new Set<string>();
    const replies: Promise<Message>[] = [];
    const stop = () => {
      clearInterval(timer);
      unsubscribe();
    };
    const unsubscribe = onIOPub(link, (message) => {
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
      const { msgId, reply } = request(link, link.shell, "kernel_info_request", {});
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
}

/** {@link KernelClient.execute}: sends an `execute_request` on shell. */
function execute(link: Link, code: string, opts: ExecuteOptions): Execution {
  const silent = opts.silent ?? false;
  const { msgId, reply } = request(link, link.shell, "execute_request", {
    code,
    silent,
    store_history: opts.storeHistory ?? !silent,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: opts.stopOnError ?? true,
  });
  return { msgId, reply: reply as Promise<Message<ExecuteReply>> };
}

/** {@link KernelClient.interrupt}: the signal hook, or `interrupt_request` on control. */
async function interrupt(link: Link, options: ConnectOptions): Promise<void> {
  if ((options.interruptMode ?? "message") === "signal") {
    if (!options.sendInterruptSignal) {
      throw new KernelError("interrupt mode is 'signal' but no way to signal the kernel");
    }
    options.sendInterruptSignal();
    return;
  }
  // The Deno kernel answers interrupt_request late (after the interrupted
  // cell's reply), so only the sending is awaited.
  request(link, link.control, "interrupt_request", {}).reply.catch(() => {});
  await Promise.resolve();
}

/** {@link KernelClient.shutdown}: `shutdown_request` on control, then closes. */
async function shutdown(link: Link, timeoutMs: number): Promise<void> {
  try {
    await timeoutAfter(
      request(link, link.control, "shutdown_request", { restart: false }).reply,
      timeoutMs,
      "shutdown_request",
    );
  } catch {
    // A kernel that does not answer is stopped by its process owner.
  } finally {
    closeLink(link);
  }
}

/** Connects to the kernel described by `connection`. */
export async function connectKernel(
  connection: ConnectionInfo,
  options: ConnectOptions = {},
): Promise<KernelClient> {
  const signer: Signer = await createSigner(connection.key);
  const link: Link = {
    signer,
    ...openSockets(connection),
    session: crypto.randomUUID(),
    pending: new Map(),
    sending: new Map(),
    listeners: new Set(),
    sleepers: new Set(),
    dropped: 0,
    closed: false,
    loops: [],
  };
  link.loops = [
    receive(link, link.shell, (message) => resolveReply(link, message)),
    receive(link, link.control, (message) => resolveReply(link, message)),
    receive(link, link.iopub, (message) => {
      for (const listener of link.listeners) listener(message);
    }),
  ];
  return {
    session: link.session,
    kernelInfo: () => request(link, link.shell, "kernel_info_request", {}).reply,
    ready: (timeoutMs = 30_000, intervalMs = 100) => waitReady(link, timeoutMs, intervalMs),
    execute: (code, opts = {}) => execute(link, code, opts),
    interrupt: () => interrupt(link, options),
    shutdown: (timeoutMs = 2000) => shutdown(link, timeoutMs),
    onIOPub: (listener) => onIOPub(link, listener),
    droppedCount: () => link.dropped,
    close: () => closeLink(link),
  };
}
