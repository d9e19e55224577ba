// One place that knows where training messages go: stderr in Node, console.log in a browser.

export function writeStderr(text: string): void {
  const stderr = typeof process !== 'undefined' ? process.stderr : undefined;
  if (stderr && typeof stderr.write === 'function') stderr.write(text);
  else console.log(text.replace(/\n$/, ''));
}
