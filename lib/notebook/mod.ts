/**
 * Headless notebook runner on the Deno Jupyter kernel: executes `.ipynb`
 * files cell by cell over the Jupyter messaging protocol (ZeroMQ, HMAC-signed),
 * injects parameters, enforces per-cell timeouts, caps each cell's output
 * (4 MiB by default) and writes nbformat 4.5. The kernel never outlives the
 * run: signals stop it, and a watchdog process ends it if the runner dies.
 *
 * ```ts
 * import { runNotebook } from "./lib/notebook/mod.ts";
 * const { status } = await runNotebook("notebooks/demo.ipynb", {
 *   outPath: "reports/demo.executed.ipynb",
 *   params: { epochs: 5 },
 * });
 * ```
 *
 * @module
 */
export {
  DEFAULT_TIMEOUT_SECONDS,
  runNotebook,
  type RunOptions,
  type RunResult,
} from "./run_notebook.ts";
export {
  connectKernel,
  type ConnectOptions,
  type ExecuteOptions,
  type ExecuteReply,
  type Execution,
  type InterruptMode,
  type KernelClient,
} from "./kernel_client.ts";
export {
  type ConnectionInfo,
  freePort,
  type KernelProcess,
  type KernelProcessOptions,
  makeConnectionInfo,
  startKernelProcess,
} from "./kernel_process.ts";
export {
  assertNotebook,
  cellSeconds,
  cellSource,
  cellTags,
  joinText,
  normaliseNotebook,
  notebookSeconds,
  readNotebook,
  validateNotebook,
} from "./nbformat.ts";
export {
  type CollectorOptions,
  createOutputCollector,
  DEFAULT_MAX_OUTPUT_BYTES,
  type DroppedOutput,
  formatBytes,
  type OutputCollector,
  parseByteSize,
  utf8Length,
} from "./outputs.ts";
export { exitingOnSignal, type HeldKernel, holdKernel, STOP_LIMIT_MS } from "./lifetime.ts";
export {
  declaredParameters,
  INJECTED_TAG,
  injectParameters,
  type Parameters,
  PARAMETERS_TAG,
  type ParameterValue,
  parseParameterArgs,
  parseParameterValue,
  renderParameters,
} from "./parameters.ts";
export {
  createProgressReporter,
  type ProgressEvent,
  type ProgressOptions,
  type ProgressReporter,
  type RunStatus,
} from "./progress.ts";
export {
  installKernelSpec,
  jupyterDataDir,
  KERNEL_DISPLAY_NAME,
  KERNEL_NAME,
  type KernelSpec,
  kernelSpec,
  KERNELSPEC_METADATA,
} from "./kernelspec.ts";
export { KernelError, NotebookFormatError, ParameterError } from "./errors.ts";
export {
  createSigner,
  decodeMessage,
  encodeMessage,
  type Message,
  type MessageHeader,
  type Signer,
} from "./protocol.ts";
