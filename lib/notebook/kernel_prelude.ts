/**
 * Code the runner runs, silently, in every kernel before the first cell.
 *
 * The Deno kernel sends each `console.log` call as one iopub `stream`
 * message, and its PUB socket (zmq.rs) can stall for good on a message larger
 * than one socket write absorbs (several hundred KiB) when the reader is
 * slow: the next messages are dropped while the large one stays half written
 * (zeromq/zmq.rs#237). A cell printing one 8 MiB string on a loaded machine
 * left the kernel silent for minutes. The prelude replaces `console` with one
 * whose output goes out in pieces of at most {@link STREAM_PIECE_CHARS}
 * characters (never splitting a surrogate pair), through the same print
 * function the kernel's own `console` uses, so a cell's text arrives
 * unchanged, only in more messages. Where the runtime does not expose that
 * function, the prelude leaves `console` as it is.
 *
 * Rich outputs (`Deno.jupyter.display`) are not split: each is one message.
 *
 * @module
 */

/** The longest piece of console text sent as one message, in UTF-16 units. */
export const STREAM_PIECE_CHARS = 65_536;

/** The prelude's source (a plain script: no imports, no top-level await). */
export const KERNEL_PRELUDE = `{
  const internal = Deno[Deno.internal];
  const print = internal?.core?.print;
  const Console = internal?.Console;
  if (typeof print === "function" && typeof Console === "function") {
    const piece = ${STREAM_PIECE_CHARS};
    globalThis.console = new Console((text, level) => {
      const toStderr = level > 1;
      for (let at = 0; at < text.length;) {
        let end = Math.min(text.length, at + piece);
        if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
        print(text.slice(at, end), toStderr);
        at = end;
      }
    });
  }
}`;
