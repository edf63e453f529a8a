export { runCli, buildProgram, type RunCliOptions } from './cli';
export { BIN_NAME, CLI_VERSION, defaultHost, type CliContext, type CliIO, type ClientFactory } from './context';
export { StatusError, UsageError, FlagError, MultiError, describeError } from './errors';
export { TabWriter, tabulate, DOCKER_TABLE, type TabWriterOptions } from './format/tabwriter';
export { naturalLess, naturalCompare } from './format/natural-sort';
export { parseGoDuration, formatGoDuration } from './format/go-duration';
export { formatNodeList, nodeRow, prettyNode, DEFAULT_NODE_TABLE_FORMAT } from './format/node-format';
export { renderFormat } from './format/formatter';
export { compileTemplate } from './template/exec';
