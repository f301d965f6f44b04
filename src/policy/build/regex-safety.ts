// Build-time screening of operator-written regular expressions. A pattern is refused when a repeated
// group contains another quantifier or an alternation (star height above one: the shape behind
// catastrophic backtracking), or when it uses backreferences. Conservative on purpose: a refused
// pattern can always be rewritten, a slow one would stall every call that meets it.

export function regexHazard(source: string): string | undefined {
  try {
    new RegExp(source, "u");
  } catch (error) {
    return `not a valid regular expression (${(error as Error).message})`;
  }
  type Group = { quantified: boolean; alternation: boolean };
  const stack: Group[] = [{ quantified: false, alternation: false }];
  let i = 0;
  const repeatAt = (at: number): { repeats: boolean; length: number } | undefined => {
    const c = source[at];
    if (c === "*" || c === "+") return { repeats: true, length: 1 };
    if (c === "?") return { repeats: false, length: 1 };
    if (c === "{") {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
      if (!match) return undefined;
      const max = match[2] === undefined ? Number(match[1]) : match[3] === "" ? Infinity : Number(match[3]);
      return { repeats: max > 1, length: match[0].length };
    }
    return undefined;
  };
  const skipLazy = (at: number) => (source[at] === "?" ? at + 1 : at);
  while (i < source.length) {
    const c = source[i]!;
    const top = stack[stack.length - 1]!;
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "backreferences are not allowed";
      i += next === "u" && source[i + 2] === "{" ? source.indexOf("}", i) + 1 - i : 2;
    } else if (c === "[") {
      i++;
      while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "(") {
      stack.push({ quantified: false, alternation: false });
      i++;
      if (source[i] === "?") {
        const head = /^\?(:|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(source.slice(i));
        i += head ? head[0].length : 1;
      }
      continue;
    } else if (c === ")") {
      const group = stack.pop()!;
      const parent = stack[stack.length - 1]!;
      i++;
      const repeat = repeatAt(i);
      if (repeat) {
        if (repeat.repeats && (group.quantified || group.alternation)) {
          return `a repeated group contains ${group.alternation ? "an alternation" : "a quantifier"} (nested repetition can backtrack catastrophically)`;
        }
        i = skipLazy(i + repeat.length);
        parent.quantified = true;
      }
      parent.quantified ||= group.quantified;
      continue;
    } else if (c === "|") {
      top.alternation = true;
      i++;
      continue;
    } else {
      i++;
    }
    const repeat = repeatAt(i);
    if (repeat) {
      top.quantified = true;
      i = skipLazy(i + repeat.length);
    }
  }
  return undefined;
}
