// The isolate-CPU method's control: a Worker whose own cost is set by the caller. `?n=N` runs N
// rounds of a fixed arithmetic loop before answering, so the difference between two values of N is
// work done inside the isolate and nowhere else.
export default {
  fetch(request) {
    const rounds = Number(new URL(request.url).searchParams.get("n") ?? 0);
    let x = 1;
    for (let i = 0; i < rounds; i++) x = (x * 1103515245 + 12345) % 2147483648;
    return new Response(String(x));
  },
};
