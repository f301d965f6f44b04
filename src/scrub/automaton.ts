// Finds every occurrence of a fixed set of literal needles in one read of the text (Aho–Corasick over
// a small alphabet, ASCII letters folded to lower case), so the scrubber reads the text once for all
// its anchors instead of once per needle. A hit is a candidate: case and context are the caller's to
// check. Built once per isolate from the detector table. Pure.

export type NeedleAutomaton = {
  /** The needles as given; hits name them by index. */
  needles: readonly string[];
  /** Calls `hit(needle, start)` for every occurrence (overlapping ones too), in order of where they end. */
  scan(text: string, hit: (needle: number, start: number) => void): void;
};

const fold = (code: number) => (code >= 65 && code <= 90 ? code + 32 : code);

/**
 * `needles` are ASCII and match in any ASCII letter case; `exact` needles are written outside ASCII
 * (`電話`) and match as they are. Hits name them by index, `exact` ones after the others.
 */
export function needleAutomaton(folded: readonly string[], exact: readonly string[] = []): NeedleAutomaton {
  // Alphabet: one class per (folded) character the needles use, 0 for every other UTF-16 code unit.
  const classOf = new Uint8Array(65536);
  let width = 1;
  for (const needle of folded) {
    for (let i = 0; i < needle.length; i++) {
      const code = fold(needle.charCodeAt(i));
      if (code > 127) throw new Error(`needle ${JSON.stringify(needle)} is not ASCII`);
      if (classOf[code] === 0) classOf[code] = width++;
    }
  }
  for (const needle of exact) {
    for (let i = 0; i < needle.length; i++) {
      const code = needle.charCodeAt(i);
      if (code <= 127) throw new Error(`exact needle ${JSON.stringify(needle)} has ASCII characters`);
      if (classOf[code] === 0) classOf[code] = width++;
    }
  }
  if (width > 255) throw new Error("too many needle characters");
  for (let upper = 65; upper <= 90; upper++) classOf[upper] = classOf[upper + 32]!;
  const needles = [...folded, ...exact];

  // The trie, then failure links breadth first, turning it into a complete transition table.
  const next: number[][] = [new Array<number>(width).fill(-1)];
  const output: number[][] = [[]];
  needles.forEach((needle, index) => {
    let state = 0;
    for (let i = 0; i < needle.length; i++) {
      const symbol = classOf[needle.charCodeAt(i)]!;
      if (next[state]![symbol] === -1) {
        next[state]![symbol] = next.length;
        next.push(new Array<number>(width).fill(-1));
        output.push([]);
      }
      state = next[state]![symbol]!;
    }
    output[state]!.push(index);
  });
  const failure = new Array<number>(next.length).fill(0);
  const queue: number[] = [];
  for (let symbol = 0; symbol < width; symbol++) {
    const child = next[0]![symbol]!;
    if (child === -1) next[0]![symbol] = 0;
    else queue.push(child);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    output[state]!.push(...output[failure[state]!]!);
    for (let symbol = 0; symbol < width; symbol++) {
      const child = next[state]![symbol]!;
      if (child === -1) next[state]![symbol] = next[failure[state]!]![symbol]!;
      else {
        failure[child] = next[failure[state]!]![symbol]!;
        queue.push(child);
      }
    }
  }

  // States with output numbered last, so the scan tests one comparison per character; transitions
  // store the target's row offset, so the scan adds the class and reads.
  const order = [...next.keys()].sort((a, b) => Number(output[a]!.length > 0) - Number(output[b]!.length > 0));
  const renumbered = new Array<number>(order.length);
  order.forEach((state, index) => (renumbered[state] = index));
  // Row offsets fit 16 bits for the scrubber's needles: half the table, more of it in the processor's cache.
  const table = next.length * width <= 65536 ? new Uint16Array(next.length * width) : new Uint32Array(next.length * width);
  next.forEach((row, state) => row.forEach((target, symbol) => (table[renumbered[state]! * width + symbol] = renumbered[target]! * width)));
  const firstWithOutput = order.findIndex((state) => output[state]!.length > 0);
  const firstOutput = firstWithOutput === -1 ? Infinity : firstWithOutput * width;
  /** Per row offset of a state with output: its needles and their lengths less one, flat. */
  const outputAt: number[][] = [];
  order.forEach((state, index) => {
    if (output[state]!.length > 0) outputAt[index * width] = output[state]!.flatMap((needle) => [needle, needles[needle]!.length - 1]);
  });

  return {
    needles,
    scan(text, hit) {
      let row = 0;
      for (let i = 0; i < text.length; i++) {
        row = table[row + classOf[text.charCodeAt(i)]!]!;
        if (row >= firstOutput) {
          const found = outputAt[row]!;
          for (let k = 0; k < found.length; k += 2) hit(found[k]!, i - found[k + 1]!);
        }
      }
    },
  };
}
